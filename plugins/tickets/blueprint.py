"""The tickets plugin's two blueprints, which the customer and staff view modules add routes to.

They live apart from the views so that neither view module imports the other, and so that the
names every ``url_for`` uses ("tickets.…", "tickets_staff.…") are defined in one place.
"""

from __future__ import annotations

from flask import Blueprint
from markupsafe import Markup

from portal.plugin import render_markdown

from .attachments import limits_hint
from .labels import category_label, priority_badge, priority_label, status_badge, status_label

bp = Blueprint(
    "tickets",
    __name__,
    url_prefix="/tickets",
    template_folder="templates",
    static_folder="static",
)
staff_bp = Blueprint("tickets_staff", __name__, url_prefix="/staff/tickets", template_folder="templates")
bp.add_app_template_global(status_label, "tickets_status_label")
bp.add_app_template_global(priority_label, "tickets_priority_label")
bp.add_app_template_global(status_badge, "tickets_status_badge")
bp.add_app_template_global(priority_badge, "tickets_priority_badge")
bp.add_app_template_global(category_label, "tickets_category_label")
bp.add_app_template_global(limits_hint, "tickets_attachment_limits")


@bp.app_template_filter("tickets_markdown")
def tickets_markdown(text: str) -> Markup:
    """A message's Markdown as safe HTML (see text.py)."""
    return render_markdown(text)
