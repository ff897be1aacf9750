"""The staff page that opens a ticket for a customer: /staff/tickets/new (see on_behalf.py).

Finding the customer works with and without JavaScript: typing in the search asks htmx for the
matches alone; the search button reloads the page with them. A refused form comes back with what the
agent wrote, the customer they chose and the reason.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.plugin import User, agent, is_htmx_request

from . import on_behalf
from .blueprint import staff_bp
from .forms import StaffNewTicketForm, new_form_token


@staff_bp.route("/new", methods=["GET", "POST"])
@agent
def staff_new() -> str | Response | tuple[str, int]:
    """Find the customer, then write down their request; the ticket opens as theirs."""
    term = request.values.get("q", "").strip()[: on_behalf.SEARCH_MAX]
    form = StaffNewTicketForm()
    if not form.is_submitted():
        form.token.data = new_form_token()
        if is_htmx_request():
            return render_template(
                "tickets/_customer_matches.html",
                matches=on_behalf.customer_matches(term),
                term=term,
                form=form,
            )
        return _page(form, term, None)
    valid = form.validate()
    customer = on_behalf.chosen_customer(form.customer.data if not form.customer.errors else None)
    if customer is None and not form.customer.errors:
        form.customer.errors = [_("Search for the customer and choose them from the list.")]
    if not valid or customer is None:
        return _page(form, term, customer), 422
    ticket = on_behalf.open_for_customer(form, customer, current_user)
    flash(_("The ticket is open for %(name)s. They see it in their list.", name=customer.name), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id))


def _page(form: StaffNewTicketForm, term: str, chosen: User | None) -> str:
    """The whole page: the search, its matches (the chosen customer first) and the ticket's fields."""
    matches = on_behalf.customer_matches(term)
    return render_template(
        "tickets/staff_new.html",
        form=form,
        term=term,
        matches=matches,
        chosen=chosen if chosen is not None and all(row.id != chosen.id for row in matches) else None,
    )
