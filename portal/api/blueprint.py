"""The blueprint every API route is declared on: flask-smorest's, strict about what it is sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar, cast

import marshmallow as ma
from flask import Request
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict, FileStorage

View = TypeVar("View", bound=Callable[..., Any])

# A body sent as JSON, or as multipart/form-data when it carries files: ``ApiBlueprint.json_or_files``.
JSON_OR_MULTIPART = "json_or_multipart"
JSON = "application/json"
MULTIPART = "multipart/form-data"


class StrictParser(FlaskParser):
    """Refuse fields a route does not take, in the query as in the body.

    webargs ignores unknown query parameters by default; an integration that misspells
    ``updated_since`` would then silently get everything, so it gets a 422 naming the field instead.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {  # noqa: RUF012  (webargs declares it as a plain class attribute)
        location: ma.RAISE for location in (*FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, JSON_OR_MULTIPART)
    }
    __location_map__ = {  # noqa: RUF012  (webargs declares it as a plain class attribute)
        **FlaskParser.__location_map__,
        JSON_OR_MULTIPART: "load_json_or_multipart",
    }

    def load_json_or_multipart(self, req: Request, schema: ma.Schema) -> Any:
        """A JSON body, or a multipart/form-data body's fields and files read as one set of fields."""
        if req.mimetype == MULTIPART:
            return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)
        return self.load_json(req, schema)

    def handle_error(
        self,
        error: ma.ValidationError,
        req: Request,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        """Name the body's fields under what the client sent: ``json``, or ``form`` for a multipart body."""
        messages = error.messages
        if isinstance(messages, dict) and JSON_OR_MULTIPART in messages:
            error.messages = {_body_location(req): messages[JSON_OR_MULTIPART]}
        super().handle_error(
            error, req, schema, error_status_code=error_status_code, error_headers=error_headers
        )


def _body_location(req: Request) -> str:
    return "form" if req.mimetype == MULTIPART else "json"


class UploadedFile(Upload):
    """A file, sent as a part of a multipart/form-data body; text in its place (or JSON) is refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise ma.ValidationError("Send a file here, as a part of a multipart/form-data body.")
        return value


class ApiBlueprint(Blueprint):
    """A group of API routes; plugins return these from ``portal_api_blueprints``."""

    ARGUMENTS_PARSER = StrictParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {  # noqa: RUF012  (flask-smorest's plain class attribute)
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        JSON_OR_MULTIPART: JSON,
    }

    def json_or_files(self, schema: type[ma.Schema], with_files: type[ma.Schema]) -> Callable[[View], View]:
        """Take the body as JSON (``schema``), or as multipart/form-data (``with_files``) with files too.

        One operation for both, so a client changes its media type only when it has files to send.
        ``with_files`` is ``schema`` with ``UploadedFile`` fields added; the view receives its fields
        whichever way they came, and the document offers each media type with its own schema.
        """

        def decorate(view: View) -> View:
            parsed = self.arguments(with_files, location=JSON_OR_MULTIPART)(view)
            content = {JSON: {"schema": schema}, MULTIPART: {"schema": with_files}}
            return cast(View, self.doc(requestBody={"content": content})(parsed))

        return decorate
