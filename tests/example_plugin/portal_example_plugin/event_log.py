"""The example plugin's event handler: it keeps a log of the events it received, one row per delivery.

The log has no unique key on purpose: the core promises one delivery per event and plugin, and the
tests count these rows to hold it to that.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Event, db, utcnow


class ReceivedEvent(db.Model):
    """One event the plugin's handler ran for."""

    __tablename__ = "example_received_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


def record(event: Event) -> None:
    """Log the event in the delivery's transaction; the core commits it with the "delivered" mark."""
    db.session.add(ReceivedEvent(event_id=event.id, name=event.name))


def received_ids() -> list[int]:
    """The ids of the events received, in the order they arrived (an event twice would show twice)."""
    return list(db.session.scalars(select(ReceivedEvent.event_id).order_by(ReceivedEvent.id)))
