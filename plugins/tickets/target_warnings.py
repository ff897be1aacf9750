"""Response targets about to be missed: which tickets are near one, and the one warning each target gets.

A warning is a row keyed on (ticket, target), so it is given once per target whatever happens: two
``portal tick`` runs at the same moment both try to insert it, the database keeps one, and only the
run whose insert stood tells anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, ForeignKey, String, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, db

from .models import ACTIVE_STATUSES, Ticket

TARGETS = ("first_response", "resolution")
# Warnings one tick gives at most; the rest wait for the next tick, still before their targets.
BATCH = 500


class TargetWarning(Model):
    """That a ticket's first-response or resolution target was warned of, and when."""

    __tablename__ = "tickets_target_warnings"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(String(16), primary_key=True)
    warned_at: Mapped[datetime] = mapped_column()


@dataclass(frozen=True)
class NearTarget:
    """A ticket with a target due soon that nobody was warned of yet."""

    ticket: Ticket
    target: str  # one of TARGETS

    @property
    def due(self) -> datetime:
        return (
            self.ticket.first_response_due if self.target == "first_response" else self.ticket.resolution_due
        )


def _not_warned(target: str) -> ColumnElement[bool]:
    return ~exists(
        select(TargetWarning.ticket_id).where(
            TargetWarning.ticket_id == Ticket.id, TargetWarning.target == target
        )
    )


def near_targets(now: datetime, hours: int) -> list[NearTarget]:
    """The active tickets whose first response (not given yet) or resolution falls due within ``hours``
    and was not warned of, soonest first, in one query; a target already passed is overdue, not near."""
    horizon = now + timedelta(hours=hours)
    first = and_(
        Ticket.first_response_at.is_(None),
        Ticket.first_response_due > now,
        Ticket.first_response_due <= horizon,
        _not_warned("first_response"),
    )
    resolution = and_(
        Ticket.resolution_due > now, Ticket.resolution_due <= horizon, _not_warned("resolution")
    )
    rows = db.session.execute(
        select(Ticket, first.label("first"), resolution.label("resolution"))
        .where(Ticket.status.in_(ACTIVE_STATUSES), or_(first, resolution))
        .order_by(Ticket.id)
        .limit(BATCH)
    ).all()
    found = [NearTarget(row.Ticket, "first_response") for row in rows if row.first]
    found += [NearTarget(row.Ticket, "resolution") for row in rows if row.resolution]
    return sorted(found, key=lambda near: (near.due, near.ticket.id))


def claim_warning(ticket_id: int, target: str, now: datetime) -> bool:
    """Record that this target is being warned of; False when another run already did (tell nobody)."""
    try:
        with db.session.begin_nested():
            db.session.add(TargetWarning(ticket_id=ticket_id, target=target, warned_at=now))
    except IntegrityError:
        return False
    return True
