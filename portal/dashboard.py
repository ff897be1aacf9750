"""The front door: a landing page for visitors and the signed-in customer's dashboard of widgets."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template
from flask_login import current_user

from portal.access import customer, public
from portal.accounts.auth_views import landing_page
from portal.plugin_manager import plugin_host

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@public
def index():
    """The landing page for visitors; a signed-in person goes where signing in leads them."""
    if current_user.is_authenticated:
        return redirect(landing_page(current_user))
    return render_template("dashboard/landing.html")


@bp.route("/dashboard")
@customer
def home():
    groups = plugin_host().hook.portal_dashboard_widgets(user=current_user)
    # Widgets have a title, not a label, so they cannot share sorted_nav's key.
    widgets = sorted(
        (widget for group in groups for widget in (group or [])),
        key=lambda widget: (widget.order, str(widget.title)),
    )
    return render_template("dashboard/home.html", widgets=widgets)
