"""The appointment as an iCalendar file (RFC 5545), for the reminder mail and the download link.

Made with the ``icalendar`` library rather than by hand: folding long lines, escaping commas and
semicolons and writing UTC times correctly are exactly what hand-written calendars get wrong. Times
are written in UTC (``…Z``), so every calendar program shows them in its owner's own zone.
"""

from __future__ import annotations

from datetime import UTC

from icalendar import Calendar, Event

from portal.plugin import utcnow

from .models import Booking, Slot

PRODUCT_ID = "-//Customer Portal//Appointments//EN"
CONTENT_TYPE = "text/calendar"
FILENAME = "appointment.ics"


def calendar_bytes(booking: Booking, slot: Slot, host: str) -> bytes:
    """One VEVENT for the booking; its UID stays the same, so a second copy updates the first."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"appointment-{booking.id}@{host}")
    event.add("dtstamp", utcnow().replace(tzinfo=UTC))
    event.add("dtstart", slot.starts_at.replace(tzinfo=UTC))
    event.add("dtend", slot.ends_at.replace(tzinfo=UTC))
    event.add("summary", slot.title)
    if slot.location:
        event.add("location", slot.location)
    event.add("status", "CONFIRMED" if booking.status == "booked" else "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()
