"""The blueprint every API route is declared on: flask-smorest's, strict about what it is sent."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser


class StrictParser(FlaskParser):
    """Refuse fields a route does not take, in the query as in the body.

    webargs ignores unknown query parameters by default; an integration that misspells
    ``updated_since`` would then silently get everything, so it gets a 422 naming the field instead.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {  # noqa: RUF012  (webargs declares it as a plain class attribute)
        location: ma.RAISE for location in FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION
    }


class ApiBlueprint(Blueprint):
    """A group of API routes; plugins return these from ``portal_api_blueprints``."""

    ARGUMENTS_PARSER = StrictParser()
