"""The example plugin's pages: the customer's notes, their dashboard tile, and a staff overview."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.plugin import agent, customer, page_link_id, render_widget

from . import customer_data

bp = Blueprint(
    "example", __name__, url_prefix="/example", template_folder="templates", static_folder="static"
)


@bp.route("/")
@customer
def notes() -> str:
    """The signed-in customer's own notes, a page at a time."""
    page = customer_data.notes_page(current_user.id, page_link_id(request.args.get("before")))
    return render_template("example/notes.html", notes=page.notes, next_before=page.next_before)


@bp.route("/widget")
@customer
def widget() -> str:
    """The dashboard tile: a fragment for htmx, a whole page without JavaScript."""
    return render_widget(
        "example/widget.html", title=_("Your notes"), count=customer_data.count_notes(current_user.id)
    )


@bp.route("/staff")
@agent
def staff_overview() -> str:
    """Totals for staff; no customer's note text is shown here."""
    return render_template(
        "example/staff.html",
        notes=customer_data.count_notes(),
        authors=customer_data.count_authors(),
    )
