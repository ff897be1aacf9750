"""A plugin whose blueprint does not carry the plugin's name; the portal must refuse it at start."""

from __future__ import annotations

from flask import Blueprint

from portal.plugin import hookimpl

bp = Blueprint("notes", __name__, url_prefix="/misnamed")


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """Installed as plugin ``misnamed``, so a blueprint called ``notes`` could clash with another's."""
    return [bp]
