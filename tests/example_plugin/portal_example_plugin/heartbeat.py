"""The example plugin's scheduled task: a heartbeat that notes each run, so tests can count them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import ScheduledTask, db, utcnow

EVERY = timedelta(hours=1)


class Heartbeat(db.Model):
    """One run of the heartbeat."""

    __tablename__ = "example_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)


def beat() -> None:
    """Note this run; ``portal tick`` commits it when the function returns."""
    db.session.add(Heartbeat())


def count_beats() -> int:
    """How many times the heartbeat has run."""
    return db.session.scalar(select(func.count()).select_from(Heartbeat)) or 0


def scheduled_tasks() -> list[ScheduledTask]:
    """The heartbeat, once an hour."""
    return [ScheduledTask(name="example.heartbeat", every=EVERY, function=beat)]
