"""The route behind the goodwill step of a complaint's apology; it answers back to the ticket's page.

Within the agent's limit the points are credited at once; above it an agent's grant becomes the
``loyalty.goodwill`` request, with the ticket in its payload. Either way the form's key makes a form
sent twice act once, and a refused form changes nothing and comes back with what was typed.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.plugin import ID_MAX, agent, db, local_path

from . import apology_goodwill, goodwill_approvals
from .forms import TicketGoodwillForm
from .ledger import LedgerError
from .views import _customer_or_404, staff_bp


@staff_bp.route("/customers/<int:user_id>/ticket-goodwill", methods=["POST"])
@agent
def ticket_goodwill(user_id: int) -> Response:
    """Goodwill for one ticket of the customer: granted, or sent for approval above the agent's limit."""
    person = _customer_or_404(user_id)
    form = TicketGoodwillForm()
    back = local_path(form.next.data) or url_for("staff_customers.show", user_id=person.id)
    ticket_text = form.ticket_id.data or ""
    ticket_id = int(ticket_text) if ticket_text.isascii() and ticket_text.isdigit() else 0
    if not form.validate_on_submit() or not 0 < ticket_id <= ID_MAX:
        return _refused(form, ticket_id, back, _first_error(form))
    try:
        message = goodwill_approvals.give_goodwill(
            person.id,
            form.points.data,
            form.reason.data,
            current_user,
            form.request_key.data,
            ticket_id=ticket_id,
        )
    except LedgerError as error:
        db.session.rollback()
        return _refused(form, ticket_id, back, str(error))
    db.session.commit()
    flash(message, "success")
    return redirect(f"{back}#apology", 303)


def _first_error(form: TicketGoodwillForm) -> str:
    """The one reason to show: the points' or the reason's own words, else that the form is stale."""
    for field in (form.points, form.reason):
        if field.errors:
            return str(field.errors[0])
    return _("This form is out of date; reload the page and try again.")


def _refused(form: TicketGoodwillForm, ticket_id: int, back: str, error: str) -> Response:
    """Say why, keep what was typed for the ticket's page, and change nothing."""
    if ticket_id:
        apology_goodwill.keep_draft(ticket_id, form.points.data or "", form.reason.data or "", error)
    flash(error, "error")
    return redirect(f"{back}#apology", 303)
