"""The events the appointments plugin emits, declared as types (ids only). docs/events.md lists them.

Other plugins react to them without knowing this one: loyalty, for instance, pays points for
``appointments.booked`` when an administrator maps that name to points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask import url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import DomainEvent, emit, sentence


class _BookingEvent(DomainEvent):
    """The events about one booking, which all link to the staff page of its slot."""

    slot_id: int

    def link(self) -> str | None:
        return url_for("appointments_staff.slot", slot_id=self.slot_id)


@dataclass(frozen=True)
class AppointmentBooked(_BookingEvent):
    """A customer booked a place in an appointment slot."""

    name: ClassVar[str] = "appointments.booked"
    label: ClassVar[LazyString] = _l("A customer booked an appointment")
    booking_id: int
    slot_id: int
    customer_id: int

    @property
    def fact(self) -> str:
        # One customer in one slot is one fact: cancelling and booking again earns nothing twice.
        return f"booked:{self.booking_id}"

    def describe(self) -> Markup:
        return sentence(_("Booked an appointment (booking #%(booking)s)."), booking=self.booking_id)


@dataclass(frozen=True)
class AppointmentCancelled(_BookingEvent):
    """A booked appointment was cancelled, by the customer or by staff (``by_staff``)."""

    name: ClassVar[str] = "appointments.cancelled"
    label: ClassVar[LazyString] = _l("An appointment was cancelled")
    booking_id: int
    slot_id: int
    customer_id: int
    by_staff: bool = False

    def describe(self) -> Markup:
        if self.by_staff:
            return sentence(_("Staff cancelled appointment booking #%(booking)s."), booking=self.booking_id)
        return sentence(_("Cancelled appointment booking #%(booking)s."), booking=self.booking_id)


EVENT_TYPES: list[type[DomainEvent]] = [AppointmentBooked, AppointmentCancelled]


def booked(booking_id: int, slot_id: int, customer_id: int) -> None:
    """Announce a booking, in the transaction that made it."""
    emit(
        AppointmentBooked(booking_id=booking_id, slot_id=slot_id, customer_id=customer_id),
        customer_id=customer_id,
        actor_id=customer_id,
    )


def cancelled(booking_id: int, slot_id: int, customer_id: int, actor_id: int, by_staff: bool) -> None:
    """Announce a cancellation, in the transaction that made it."""
    emit(
        AppointmentCancelled(
            booking_id=booking_id, slot_id=slot_id, customer_id=customer_id, by_staff=by_staff
        ),
        customer_id=customer_id,
        actor_id=actor_id,
    )
