"""Sending a reply with a macro: the canned text and its changes to the ticket, in one action.

The canned text (in the customer's language) is added to the agent's draft as "Insert" does, the
reply is stored as a normal staff reply, and the macro's status, priority and category are applied
through ``service`` in the same transaction: all of it is stored, or none of it.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.plugin import User, agent, db

from . import attachments, canned, sending
from .blueprint import staff_bp
from .forms import CannedChoiceForm, StaffReplyForm, file_errors
from .staff_views import _staff_page, _staff_ticket


@staff_bp.route("/<int:ticket_id>/macro", methods=["POST"])
@agent
def staff_send_macro(ticket_id: int) -> Response | tuple[str, int]:
    """Send the draft with the chosen canned reply added, and make the changes the macro names."""
    ticket = _staff_ticket(ticket_id)
    form = StaffReplyForm()
    choice = CannedChoiceForm()
    reply = canned.find_canned_reply(choice.canned.data) if choice.validate_on_submit() else None
    if reply is None:
        error = (
            _("That canned reply no longer exists.") if choice.canned.data else _("Choose a canned reply.")
        )
        return render_template("tickets/staff_show.html", **_staff_page(ticket, form, error)), 422
    owner = db.session.get(User, ticket.customer_id)
    text = canned.canned_text(reply.id, owner.language if owner is not None else "") or reply.body
    form.body.data = canned.with_canned_text(form.body.data or "", text)
    files = attachments.uploads_from(form.files.data)
    if not form.validate() or file_errors(form, files):
        return render_template("tickets/staff_show.html", **_staff_page(ticket, form)), 422
    try:
        sending.send_reply(
            ticket,
            current_user,
            form.body.data,
            files=files,
            key=form.token.data or "",
            internal=form.internal.data,
            then=lambda: canned.apply_macro(ticket, reply, current_user),
        )
    except sending.RefusedError as refused:
        form.files.errors = refused.problems
        return render_template("tickets/staff_show.html", **_staff_page(ticket, form)), 422
    flash(_("Reply sent with the macro “%(title)s”.", title=reply.title), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id, _anchor="conversation"))
