"""The help center's two blueprints, which the view modules add routes to.

They live apart from the views so that no view module imports another, and so the names every
``url_for`` uses ("helpcenter.…", "helpcenter_staff.…") are defined in one place.
"""

from __future__ import annotations

from flask import Blueprint
from markupsafe import Markup

from portal.plugin import render_document_markdown

bp = Blueprint(
    "helpcenter", __name__, url_prefix="/help", template_folder="templates", static_folder="static"
)
staff_bp = Blueprint("helpcenter_staff", __name__, url_prefix="/staff/help", template_folder="templates")


@bp.app_template_filter("helpcenter_markdown")
def helpcenter_markdown(text: str) -> Markup:
    """An article's Markdown as safe HTML with section headings (the portal's one sanitiser)."""
    return render_document_markdown(text)
