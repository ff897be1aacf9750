"""The customer's side of the plugin's data: the 360° panel, export, erasure and demo slots."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from portal.plugin import Panel, User, db, from_user_zone, utcnow

from .models import BOOKED, Booking, Slot

PANEL_ROWS = 5


def customer_panels(customer: User) -> list[Panel]:
    """The customer's next and latest appointments; the template writes times in the viewer's zone."""
    now = utcnow()
    base = select(Booking.status, Slot.title, Slot.starts_at).join(Slot, Slot.id == Booking.slot_id)
    upcoming = db.session.execute(
        base.where(Booking.customer_id == customer.id, Slot.starts_at > now, Booking.status == BOOKED)
        .order_by(Slot.starts_at)
        .limit(PANEL_ROWS)
    ).all()
    past = db.session.execute(
        base.where(Booking.customer_id == customer.id, Slot.starts_at <= now)
        .order_by(Slot.starts_at.desc())
        .limit(PANEL_ROWS)
    ).all()
    total = db.session.scalar(select(func.count()).where(Booking.customer_id == customer.id)) or 0
    return [
        Panel(
            name="appointments.bookings",
            title=_l("Appointments"),
            template="appointments/customer_panel.html",
            context={
                "upcoming": [(title, at) for _status, title, at in upcoming],
                "past": [(title, at, status) for status, title, at in past],
                "total": total,
            },
            order=55,
        )
    ]


def export(user: User) -> dict[str, Any] | None:
    """Every booking the customer made, with the slot it was for (times in UTC, ISO 8601)."""
    rows = db.session.execute(
        select(Booking, Slot)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.customer_id == user.id)
        .order_by(Booking.id)
    ).all()
    if not rows:
        return None
    return {
        "bookings": [
            {
                "appointment": slot.title,
                "location": slot.location,
                "starts_at_utc": slot.starts_at.isoformat(),
                "ends_at_utc": slot.ends_at.isoformat(),
                "status": booking.status,
                "booked_at_utc": booking.booked_at.isoformat(),
                "cancelled_at_utc": booking.cancelled_at.isoformat() if booking.cancelled_at else None,
            }
            for booking, slot in rows
        ]
    }


def erase(user: User) -> None:
    """The customer's bookings go; the places they held are freed for others."""
    held = db.session.scalars(
        select(Booking.slot_id)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.customer_id == user.id, Booking.status == BOOKED)
    ).all()
    for slot_id in held:
        db.session.execute(
            update(Slot)
            .where(Slot.id == slot_id, Slot.booked > 0)
            .values(booked=Slot.booked - 1)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        delete(Booking).where(Booking.customer_id == user.id).execution_options(synchronize_session=False)
    )


DEMO_SLOTS = (
    # (title, location, local hour, days after next Monday)
    ("Product consultation", "Head office, room 2", 10, 0),
    ("مشاورهٔ خرید", "دفتر مرکزی، اتاق ۲", 11, 1),
    ("Account review", "Video call", 15, 2),
)


def add_demo(customers: list[User]) -> None:
    """Slots next week at office hours in each demo customer's zone, in English and Persian; once.

    Staff in Tehran and customers in London see the same slot at their own times, which is the point
    of showing zones. Nothing is added when demo slots exist already.
    """
    if db.session.scalar(select(Slot.id).where(Slot.title == DEMO_SLOTS[0][0]).limit(1)):
        return
    today = utcnow().date()
    monday = today + timedelta(days=7 - today.weekday())
    zones: dict[str, User] = {}
    for person in customers:
        zones.setdefault(person.timezone or "UTC", person)
    for person in zones.values():
        for title, location, hour, offset in DEMO_SLOTS:
            local = datetime.combine(monday + timedelta(days=offset), time(hour))
            starts = from_user_zone(local, person)
            if starts is None:
                continue
            db.session.add(
                Slot(
                    title=title,
                    location=location,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=45),
                    capacity=3,
                )
            )
