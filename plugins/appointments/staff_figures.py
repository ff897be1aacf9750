"""The appointments plugin's number on the staff dashboard: the bookings of the coming week."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.plugin import Figure, daily_totals, utcnow

from .models import BOOKED, Booking, Slot

DAYS = 7


def staff_figures() -> list[Figure]:
    """Live bookings in slots from today to six days ahead, per day: the week staff must prepare for."""
    week = daily_totals(
        Slot.starts_at,
        Booking.slot_id == Slot.id,
        Booking.status == BOOKED,
        days=DAYS,
        now=utcnow() + timedelta(days=DAYS - 1),
    )
    return [
        Figure(
            name="appointments.coming_week",
            label=_l("Bookings, today and the next 6 days"),
            value=sum(value for _, value in week),
            series=week,
            series_label=_l("Bookings per day, today and the next 6 days"),
            chart="bar",
            href=url_for("appointments_staff.index"),
            order=60,
        )
    ]
