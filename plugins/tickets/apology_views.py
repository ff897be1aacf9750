"""The apology's one route on the staff ticket page: sending the message of a resolved complaint.

The panel itself is part of the staff ticket page (``staff_views``); the other steps post to the
plugins that add them in the ``tickets.apology`` slot.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.plugin import agent

from . import apology, sending
from .blueprint import staff_bp
from .forms import ApologyForm
from .staff_views import _staff_page, _staff_ticket


@staff_bp.route("/<int:ticket_id>/apology", methods=["POST"])
@agent
def staff_apology(ticket_id: int) -> str | Response | tuple[str, int]:
    """Send the apology to the customer as a staff reply, once; a refused form keeps what was typed."""
    ticket = _staff_ticket(ticket_id)
    if not apology.offers_apology(ticket):
        flash(_("Only a resolved complaint offers the apology; nothing was sent."), "error")
        return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id))
    form = ApologyForm()
    if not form.validate_on_submit():
        return render_template("tickets/staff_show.html", **_staff_page(ticket, apology_form=form)), 422
    try:
        sent = apology.send_apology(ticket, current_user, form.body.data)
    except sending.RefusedError as refused:
        form.body.errors = refused.problems
        return render_template("tickets/staff_show.html", **_staff_page(ticket, apology_form=form)), 422
    if sent:
        flash(_("Apology sent to the customer."), "success")
    else:
        flash(_("The apology was already sent; nothing more was sent."), "info")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id, _anchor="apology"))
