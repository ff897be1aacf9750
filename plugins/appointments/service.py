"""Booking and cancelling: every change is one conditional UPDATE, and its event follows only a change.

The last free place of a slot goes to exactly one customer: ``book`` raises the slot's count with
``UPDATE … WHERE booked < capacity``, which the database runs one at a time for a row. A customer has
one row per slot (a unique key), so booking twice, even from two tabs at once, is refused. Every
function here adds to the caller's transaction; on ``BookingRefusedError`` the caller rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from portal.plugin import Page, User, db, keyset_page, rows_matched, utcnow

from . import events, settings
from .models import BOOKED, CANCELLED, Booking, Slot

PAGE_SIZE = 20


class BookingRefusedError(Exception):
    """A booking or cancellation that cannot happen; the message says why and what to do, for the page."""


@dataclass(frozen=True)
class NewSlot:
    """A slot as staff described it, times already in UTC."""

    title: str
    location: str
    starts_at: datetime
    ends_at: datetime
    capacity: int


def create_slot(new: NewSlot, actor: User) -> Slot:
    """Offer a slot; the form has checked the times and limits."""
    slot = Slot(
        title=new.title,
        location=new.location,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        capacity=new.capacity,
        created_by=actor.id,
    )
    db.session.add(slot)
    db.session.flush()
    return slot


def open_slots(cursor: str | None, now: datetime | None = None) -> Page:
    """Slots still to come, soonest first, full ones included so a customer sees why they cannot book."""
    query = select(Slot).where(Slot.starts_at > (now or utcnow()))
    return keyset_page(query, [Slot.starts_at, Slot.id], cursor=cursor, size=PAGE_SIZE)


def own_bookings(
    customer_id: int, *, upcoming: bool, cursor: str | None, now: datetime | None = None
) -> Page:
    """The customer's bookings with their slots: upcoming soonest first, or past ones latest first."""
    moment = now or utcnow()
    query = (
        select(Booking, Slot).join(Slot, Slot.id == Booking.slot_id).where(Booking.customer_id == customer_id)
    )
    if upcoming:
        query = query.where(Slot.starts_at > moment, Booking.status == BOOKED)
        return keyset_page(query, [Slot.starts_at, Booking.id], cursor=cursor, size=PAGE_SIZE, scalars=False)
    query = query.where((Slot.starts_at <= moment) | (Booking.status == CANCELLED))
    return keyset_page(
        query, [Slot.starts_at, Booking.id], cursor=cursor, size=PAGE_SIZE, descending=True, scalars=False
    )


def booked_slot_ids(customer_id: int, slot_ids: list[int]) -> set[int]:
    """Which of ``slot_ids`` the customer holds a place in, for the list of slots (one query)."""
    if not slot_ids:
        return set()
    query = select(Booking.slot_id).where(
        Booking.customer_id == customer_id, Booking.status == BOOKED, Booking.slot_id.in_(slot_ids)
    )
    return set(db.session.scalars(query))


def next_booking(customer_id: int, now: datetime | None = None) -> tuple[Booking, Slot] | None:
    """The customer's next appointment, for the dashboard."""
    row = db.session.execute(
        select(Booking, Slot)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.customer_id == customer_id, Booking.status == BOOKED, Slot.starts_at > (now or utcnow())
        )
        .order_by(Slot.starts_at, Booking.id)
        .limit(1)
    ).first()
    return (row.Booking, row.Slot) if row else None


def own_booking(customer_id: int, booking_id: int) -> tuple[Booking, Slot] | None:
    """The booking and its slot if it is the customer's; someone else's is as good as missing."""
    row = db.session.execute(
        select(Booking, Slot)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.id == booking_id, Booking.customer_id == customer_id)
    ).first()
    return (row.Booking, row.Slot) if row else None


def book(slot: Slot, customer: User, now: datetime | None = None) -> Booking:
    """Give ``customer`` a place in ``slot``, or raise ``BookingRefusedError`` (the caller rolls back)."""
    moment = now or utcnow()
    if slot.starts_at <= moment:
        raise BookingRefusedError(_("This appointment has already started; choose a later one."))
    existing = db.session.scalar(
        select(Booking).where(Booking.slot_id == slot.id, Booking.customer_id == customer.id)
    )
    if existing is not None and existing.status == BOOKED:
        raise BookingRefusedError(_("You have already booked this appointment."))
    taken = rows_matched(
        update(Slot)
        .where(Slot.id == slot.id, Slot.booked < Slot.capacity, Slot.starts_at > moment)
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    if not taken:
        raise BookingRefusedError(_("Sorry, this appointment is fully booked; choose another time."))
    booking_id = _take_place(existing, slot.id, customer.id, moment)
    db.session.expire(slot)
    events.booked(booking_id, slot.id, customer.id)
    booking = db.session.get(Booking, booking_id)
    assert booking is not None
    db.session.refresh(booking)
    return booking


def _take_place(existing: Booking | None, slot_id: int, customer_id: int, moment: datetime) -> int:
    """The customer's row for the slot, made or switched back from cancelled; refused if another tab won."""
    already = BookingRefusedError(_("You have already booked this appointment."))
    if existing is not None:
        changed = rows_matched(
            update(Booking)
            .where(Booking.id == existing.id, Booking.status == CANCELLED)
            .values(status=BOOKED, booked_at=moment, cancelled_at=None, reminder_sent_at=None)
            .execution_options(synchronize_session=False)
        )
        if not changed:
            raise already
        return existing.id
    try:
        with db.session.begin_nested():
            return db.session.execute(
                insert(Booking)
                .values(slot_id=slot_id, customer_id=customer_id, status=BOOKED, booked_at=moment)
                .returning(Booking.id)
            ).scalar_one()
    except IntegrityError:
        raise already from None


def cancel(booking: Booking, slot: Slot, customer: User, now: datetime | None = None) -> bool:
    """The customer cancels their booking, until the cut-off; ``False`` if it was already cancelled."""
    moment = now or utcnow()
    if booking.status != BOOKED:
        return False
    if slot.starts_at <= moment:
        raise BookingRefusedError(_("This appointment has already started, so it cannot be cancelled."))
    hours = settings.cancel_cutoff_hours()
    if slot.starts_at - moment < timedelta(hours=hours):
        contact = settings.contact() or _("us by opening a support ticket")
        raise BookingRefusedError(
            _(
                "Appointments can be cancelled here until %(hours)d hours before they start. "
                "To cancel or change this one, please contact %(contact)s.",
                hours=hours,
                contact=contact,
            )
        )
    return _cancel(booking, slot, actor_id=customer.id, by_staff=False, moment=moment)


def staff_cancel(booking: Booking, slot: Slot, actor: User, now: datetime | None = None) -> bool:
    """Staff cancel a booking at any time before it starts (the customer is told by the caller)."""
    moment = now or utcnow()
    if booking.status != BOOKED:
        return False
    return _cancel(booking, slot, actor_id=actor.id, by_staff=True, moment=moment)


def _cancel(booking: Booking, slot: Slot, *, actor_id: int, by_staff: bool, moment: datetime) -> bool:
    changed = rows_matched(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BOOKED)
        .values(status=CANCELLED, cancelled_at=moment)
        .execution_options(synchronize_session=False)
    )
    if not changed:
        return False
    db.session.execute(
        update(Slot)
        .where(Slot.id == slot.id)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(slot)
    db.session.expire(booking)
    events.cancelled(booking.id, slot.id, booking.customer_id, actor_id, by_staff)
    return True


def slot_bookings(slot_id: int, cursor: str | None) -> Page:
    """Who booked a slot, for staff: live bookings first by when they were made."""
    query = select(Booking, User).join(User, User.id == Booking.customer_id).where(Booking.slot_id == slot_id)
    return keyset_page(query, [Booking.id], cursor=cursor, size=PAGE_SIZE, scalars=False)


def staff_slots(cursor: str | None, *, upcoming: bool, now: datetime | None = None) -> Page:
    """Slots for the staff list: upcoming soonest first, or past ones latest first."""
    moment = now or utcnow()
    if upcoming:
        query = select(Slot).where(Slot.starts_at > moment)
        return keyset_page(query, [Slot.starts_at, Slot.id], cursor=cursor, size=PAGE_SIZE)
    query = select(Slot).where(Slot.starts_at <= moment)
    return keyset_page(query, [Slot.starts_at, Slot.id], cursor=cursor, size=PAGE_SIZE, descending=True)
