"""A plugin whose pages live in a blueprint nested inside its own; switched off, they must answer 404."""

from __future__ import annotations

from flask import Blueprint

from portal.plugin import hookimpl, public

bp = Blueprint("nested", __name__, url_prefix="/nested")
inner = Blueprint("inner", __name__, url_prefix="/inner")


@inner.route("/")
@public
def inner_page() -> str:
    """A page reached through the child blueprint, whose endpoint is ``nested.inner.inner_page``."""
    return "inner page"


bp.register_blueprint(inner)


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """One top-level blueprint carrying the plugin's name; the child inherits the prefix."""
    return [bp]
