"""The appointments plugin's tables, all named appointments_*.

Times are stored in UTC without a zone (as everywhere in the portal); pages turn them into the
reader's zone and calendar.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, utcnow

MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"

TITLE_MAX = 120
LOCATION_MAX = 200
CAPACITY_MAX = 500
BOOKED = "booked"
CANCELLED = "cancelled"


class Slot(Model):
    """A time staff offer for appointments, with room for ``capacity`` customers.

    ``booked`` counts the live bookings and is only ever changed by one conditional UPDATE, so the
    last place cannot be given twice however many customers click at once.
    """

    __tablename__ = "appointments_slots"
    __table_args__ = (
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    location: Mapped[str] = mapped_column(String(LOCATION_MAX), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column()
    capacity: Mapped[int] = mapped_column(default=1)
    booked: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class Booking(Model):
    """A customer's place in a slot. One row per customer and slot: cancelling and booking again reuses it."""

    __tablename__ = "appointments_bookings"
    __table_args__ = (
        UniqueConstraint("slot_id", "customer_id"),
        Index("ix_appointments_bookings_due_reminders", "status", "reminder_sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("appointments_slots.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=BOOKED)
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    reminder_sent_at: Mapped[datetime | None] = mapped_column()
