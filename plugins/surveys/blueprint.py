"""The surveys plugin's two blueprints, which the customer and staff view modules add routes to.

They live apart from the views so that neither view module imports the other, and so that the
names every ``url_for`` uses ("surveys.…", "surveys_staff.…") are defined in one place.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "surveys",
    __name__,
    url_prefix="/surveys",
    template_folder="templates",
    static_folder="static",
)
staff_bp = Blueprint("surveys_staff", __name__, url_prefix="/staff/surveys", template_folder="templates")
