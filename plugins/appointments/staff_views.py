"""Staff pages at /staff/appointments: offer times in their own zone, see who booked, cancel for one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.plugin import ButtonForm, agent, db, record_audit_event, zone_label

from . import reminders, service
from .forms import SlotForm
from .models import Booking, Slot

staff_bp = Blueprint(
    "appointments_staff", __name__, url_prefix="/staff/appointments", template_folder="templates"
)


@staff_bp.route("/")
@agent
def index() -> str:
    """Slots to come, soonest first (``?past=1``: the slots that have started, latest first)."""
    past = request.args.get("past") == "1"
    page = service.staff_slots(request.args.get("cursor"), upcoming=not past)
    return render_template("appointments/staff_index.html", page=page, past=past)


@staff_bp.route("/new", methods=["GET", "POST"])
@agent
def new_slot() -> str | WerkzeugResponse:
    """Offer a slot; its start is typed on the agent's own clock, in the zone the form names."""
    form = SlotForm()
    if not form.is_submitted():
        form.starts_at.data = form.suggested_start(current_user)
    if form.validate_on_submit():
        new = form.new_slot(current_user)
        if new is not None:
            slot = service.create_slot(new, current_user)
            record_audit_event("appointments.slot_created", current_user.id, slot_id=slot.id)
            db.session.commit()
            flash(_("The slot is offered to customers."), "success")
            return redirect(url_for("appointments_staff.slot", slot_id=slot.id))
    return render_template(
        "appointments/staff_new.html",
        form=form,
        zone=zone_label(current_user.timezone),
        zone_name=current_user.timezone,
    )


@staff_bp.route("/<int:slot_id>")
@agent
def slot(slot_id: int) -> str:
    """One slot and the customers who booked it."""
    found = db.session.get(Slot, slot_id)
    if found is None:
        abort(404)
    page = service.slot_bookings(found.id, request.args.get("cursor"))
    return render_template("appointments/staff_slot.html", offered=found, page=page, form=ButtonForm())


@staff_bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@agent
def cancel_booking(booking_id: int) -> WerkzeugResponse:
    """Cancel a customer's booking for them, at any time; the customer is told."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        abort(404)
    slot_row = db.session.scalar(select(Slot).where(Slot.id == booking.slot_id))
    assert slot_row is not None
    if not ButtonForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
    elif service.staff_cancel(booking, slot_row, current_user):
        reminders.tell_cancelled(booking, slot_row)
        record_audit_event(
            "appointments.booking_cancelled",
            current_user.id,
            booking_id=booking.id,
            customer_id=booking.customer_id,
        )
        db.session.commit()
        flash(_("The booking is cancelled and the customer is told."), "success")
    else:
        flash(_("This booking was already cancelled."), "info")
    return redirect(url_for("appointments_staff.slot", slot_id=slot_row.id))
