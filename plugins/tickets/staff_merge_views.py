"""Staff merging a duplicate ticket into another, and splitting a message off into a new ticket.

The rules and the moving live in ``merging``; these views read the forms, roll back a refused change
so nothing of it is kept, and say what happened. A refused merge comes back on the ticket page with
the number typed and the reason next to it.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.plugin import agent, db

from . import merging
from .blueprint import staff_bp
from .forms import ActionForm, MergeForm
from .merging import MergeError
from .staff_views import _staff_page, _staff_ticket


@staff_bp.route("/<int:ticket_id>/merge", methods=["POST"])
@agent
def staff_merge(ticket_id: int) -> Response | tuple[str, int]:
    """Merge this ticket into the one whose number was typed; the page of the merged ticket follows."""
    ticket = _staff_ticket(ticket_id)
    form = MergeForm()
    if form.validate_on_submit():
        try:
            target = merging.merge(ticket, int(form.target.data), current_user)
        except MergeError as refusal:
            db.session.rollback()
            form.target.errors = [str(refusal)]
        else:
            db.session.commit()
            flash(
                _("Ticket #%(source)d was merged into this one.", source=ticket_id),
                "success",
            )
            return redirect(url_for("tickets_staff.staff_show", ticket_id=target.id))
    page = _staff_page(ticket)
    page["merge_form"] = form
    return render_template("tickets/staff_show.html", **page), 422


@staff_bp.route("/<int:ticket_id>/messages/<int:message_id>/split", methods=["POST"])
@agent
def staff_split(ticket_id: int, message_id: int) -> Response:
    """Move one message (and its files) to a new ticket of the same customer, and open that ticket."""
    ticket = _staff_ticket(ticket_id)
    if not ActionForm().validate_on_submit():
        flash(_("The page had expired; please try again."), "error")
        return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket_id))
    try:
        new = merging.split(ticket, message_id, current_user)
    except MergeError as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket_id, _anchor="conversation"))
    db.session.commit()
    flash(_("The message now has a ticket of its own, split from #%(number)d.", number=ticket_id), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=new.id))
