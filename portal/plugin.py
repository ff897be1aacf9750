"""What plugin authors import: the hook marker, the data types and the helpers of the contract.

This module is the stable surface of the core; anything not re-exported here may change.
"""

from __future__ import annotations

import pluggy
from flask import render_template, request
from markupsafe import Markup

from portal.access import admin, agent, customer, public
from portal.accounts.models import User
from portal.contributions import NavItem, Widget
from portal.database import db, utcnow

hookimpl = pluggy.HookimplMarker("portal")


def is_htmx_request() -> bool:
    """htmx marks its requests, so a view can answer with a fragment instead of a whole page."""
    return request.headers.get("HX-Request") == "true"


def render_widget(template: str, title: str, **context: object) -> str:
    """Render a dashboard widget: the fragment for htmx, the fragment inside the layout otherwise."""
    fragment = Markup(render_template(template, **context))  # noqa: S704  (autoescaped template output)
    if is_htmx_request():
        return fragment
    return render_template("dashboard/widget_page.html", title=title, fragment=fragment)


__all__ = [
    "NavItem",
    "User",
    "Widget",
    "admin",
    "agent",
    "customer",
    "db",
    "hookimpl",
    "is_htmx_request",
    "public",
    "render_widget",
    "utcnow",
]
