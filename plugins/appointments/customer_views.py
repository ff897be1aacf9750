"""The customer's pages at /appointments: free slots, their bookings, booking and cancelling."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.plugin import ButtonForm, customer, db, external_url, format_datetime, render_widget

from . import calendar_file, service
from .models import Slot

bp = Blueprint("appointments", __name__, url_prefix="/appointments", template_folder="templates")


@bp.route("/")
@customer
def index() -> str:
    """Free slots to book, and the signed-in customer's upcoming appointments."""
    slots = service.open_slots(request.args.get("after"))
    mine = service.own_bookings(current_user.id, upcoming=True, cursor=request.args.get("mine"))
    held = service.booked_slot_ids(current_user.id, [slot.id for slot in slots.items])
    return render_template("appointments/index.html", slots=slots, mine=mine, held=held, form=ButtonForm())


@bp.route("/history")
@customer
def history() -> str:
    """The customer's past and cancelled appointments, latest first."""
    page = service.own_bookings(current_user.id, upcoming=False, cursor=request.args.get("before"))
    return render_template("appointments/history.html", page=page)


@bp.route("/widget")
@customer
def widget() -> str:
    """The dashboard tile: the customer's next appointment."""
    return render_widget(
        "appointments/widget.html", title=_("Appointments"), next=service.next_booking(current_user.id)
    )


@bp.route("/slots/<int:slot_id>/book", methods=["POST"])
@customer
def book(slot_id: int) -> WerkzeugResponse:
    """Book a place in a slot; refused with a reason when it is full, past or already booked."""
    if not ButtonForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("appointments.index"))
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        abort(404)
    try:
        service.book(slot, current_user)
    except service.BookingRefusedError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("appointments.index"))
    title, starts = slot.title, slot.starts_at
    db.session.commit()
    flash(
        _("Booked: %(title)s, %(when)s.", title=title, when=format_datetime(starts, user=current_user)),
        "success",
    )
    return redirect(url_for("appointments.index"))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@customer
def cancel(booking_id: int) -> WerkzeugResponse:
    """Cancel one of the customer's own bookings, until the cut-off."""
    found = service.own_booking(current_user.id, booking_id)
    if found is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("appointments.index"))
    booking, slot = found
    try:
        service.cancel(booking, slot, current_user)
    except service.BookingRefusedError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("appointments.index"))
    db.session.commit()
    flash(_("Your appointment is cancelled."), "success")
    return redirect(url_for("appointments.index"))


@bp.route("/bookings/<int:booking_id>/calendar.ics")
@customer
def calendar(booking_id: int) -> Response:
    """The booking as a calendar file, to add to the customer's own calendar."""
    found = service.own_booking(current_user.id, booking_id)
    if found is None:
        abort(404)
    booking, slot = found
    host = urlsplit(external_url("appointments.index")).hostname or "portal"
    data = calendar_file.calendar_bytes(booking, slot, host)
    return Response(
        data,
        mimetype=calendar_file.CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{calendar_file.FILENAME}"'},
    )
