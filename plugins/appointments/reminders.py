"""Telling customers: the reminder before an appointment (with a calendar file), and a cancellation by staff.

Each reminder is claimed with one conditional UPDATE on ``reminder_sent_at`` before it is sent, so
two ticks, or a tick racing a retry, send it once. ``notify`` stores the lazy texts in the customer's
language; the time is written in the customer's zone and language.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.plugin import (
    MailAttachment,
    NotificationType,
    User,
    db,
    external_url,
    format_datetime,
    notify,
    rows_matched,
    utcnow,
)

from . import calendar_file, settings
from .models import BOOKED, Booking, Slot

REMINDER_KIND = "appointments.reminder"
CHANGED_KIND = "appointments.changed"
BATCH = 200


def notification_types() -> list[NotificationType]:
    """The reminder before an appointment, and news that staff cancelled one."""
    return [
        NotificationType(
            kind=REMINDER_KIND,
            label=_l("Appointment reminders"),
            description=_l("A reminder before each appointment you booked, with a file for your calendar."),
        ),
        NotificationType(
            kind=CHANGED_KIND,
            label=_l("Changes to your appointments"),
            description=_l("When our staff have to cancel an appointment you booked."),
        ),
    ]


def send_due_reminders(now: datetime | None = None) -> int:
    """Remind every customer whose appointment starts within the lead time; returns how many were sent."""
    moment = now or utcnow()
    lead = timedelta(hours=settings.reminder_hours())
    due = db.session.scalars(
        select(Booking.id)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.status == BOOKED,
            Booking.reminder_sent_at.is_(None),
            Slot.starts_at > moment,
            Slot.starts_at <= moment + lead,
        )
        .order_by(Slot.starts_at, Booking.id)
        .limit(BATCH)
    ).all()
    sent = 0
    for booking_id in due:
        claimed = rows_matched(
            update(Booking)
            .where(Booking.id == booking_id, Booking.status == BOOKED, Booking.reminder_sent_at.is_(None))
            .values(reminder_sent_at=moment)
            .execution_options(synchronize_session=False)
        )
        if claimed:
            _remind(booking_id)
            sent += 1
    return sent


def _remind(booking_id: int) -> None:
    booking = db.session.get(Booking, booking_id)
    assert booking is not None
    db.session.refresh(booking)
    slot = db.session.get(Slot, booking.slot_id)
    person = db.session.get(User, booking.customer_id)
    assert slot is not None and person is not None
    host = urlsplit(external_url("appointments.index")).hostname or "portal"
    notify(
        person,
        REMINDER_KIND,
        _l(
            "Reminder: %(title)s, %(when)s",
            title=slot.title,
            when=format_datetime(slot.starts_at, user=person),
        ),
        _l(
            "Your appointment starts %(when)s. Where: %(where)s. "
            "The calendar file with this mail adds it to your calendar.",
            when=format_datetime(slot.starts_at, user=person),
            where=slot.location or "-",
        ),
        url="/appointments/",
        attachments=[
            MailAttachment(
                calendar_file.FILENAME,
                calendar_file.CONTENT_TYPE,
                calendar_file.calendar_bytes(booking, slot, host),
            )
        ],
    )


def tell_cancelled(booking: Booking, slot: Slot) -> None:
    """Tell the customer that staff cancelled their appointment."""
    person = db.session.get(User, booking.customer_id)
    if person is None:
        return
    notify(
        person,
        CHANGED_KIND,
        _l(
            "Cancelled: %(title)s, %(when)s",
            title=slot.title,
            when=format_datetime(slot.starts_at, user=person),
        ),
        _l("We had to cancel this appointment. Please choose another time, or contact us."),
        url="/appointments/",
    )
