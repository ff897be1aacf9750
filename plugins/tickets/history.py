"""A ticket's history: who changed what and when, written with the change, read as a timeline.

``record`` is called by ``service`` and ``merging`` in the transaction that makes the change, after
the compare-and-set succeeded, so a change that lost a race leaves no row and a row never outlives a
rolled-back change. The timelines put each row into words for the reader: staff see every change,
the customer the ones that concern them (status, merges, splits, the rating), never who it was
assigned to or its priority.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import ForeignKey, Index, Select, String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, User, db, sentence, utcnow

from .labels import category_label, priority_label, status_label
from .models import Ticket

KINDS = (
    "status",
    "assigned",
    "priority",
    "category",
    "merged_in",
    "merged_into",
    "split_from",
    "split_to",
    "rated",
)
# What the customer's timeline shows: what happened to their request, not how staff organise work.
CUSTOMER_KINDS = ("status", "merged_in", "merged_into", "split_from", "split_to", "rated")
KIND_MAX = 16
VALUE_MAX = 60
TIMELINE_MAX = 200


class TicketChange(Model):
    """One change of a ticket: its kind, the value before and after (short strings), who and when."""

    __tablename__ = "tickets_changes"
    __table_args__ = (Index("ix_tickets_changes_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None for the portal itself (the scheduled close).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    old: Mapped[str | None] = mapped_column(String(VALUE_MAX))
    new: Mapped[str | None] = mapped_column(String(VALUE_MAX))


def record(
    ticket: Ticket, kind: str, actor_id: int | None, old: object = None, new: object = None
) -> TicketChange:
    """Add one row of ``ticket``'s history in the caller's transaction; the caller commits.

    Call it only once the change itself is stored (after a successful compare-and-set), so the
    history says what happened and nothing that lost a race. ``old``/``new`` are kept as short text:
    a status, a priority, a category, an account's or a ticket's id.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of ticket change: {kind!r}; one of {', '.join(KINDS)}.")
    change = TicketChange(
        ticket_id=ticket.id,
        actor_id=actor_id,
        kind=kind,
        old=_short(old),
        new=_short(new),
        created_at=utcnow(),
    )
    db.session.add(change)
    return change


def _short(value: object) -> str | None:
    return None if value is None else str(value)[:VALUE_MAX]


@dataclass(frozen=True)
class TimelineEntry:
    """One change as a reader sees it: when, who (in words) and what (a sentence, escaped)."""

    created_at: datetime
    who: str
    what: Markup


def staff_timeline(ticket_id: int) -> list[TimelineEntry]:
    """Every change of the ticket, oldest first, with staff named and assignees by name."""
    rows = _changes(ticket_id, KINDS)
    names = _names(_assignee_ids(change for change, _name, _role in rows))
    return [
        TimelineEntry(
            change.created_at, _staff_actor(name), _describe(change, names, "tickets_staff.staff_show")
        )
        for change, name, _role in rows
    ]


def customer_timeline(ticket_id: int) -> list[TimelineEntry]:
    """The changes that concern the customer, oldest first: staff appear as the support team."""
    rows = _changes(ticket_id, CUSTOMER_KINDS)
    return [
        TimelineEntry(change.created_at, _customer_actor(name, role), _describe(change, {}, "tickets.show"))
        for change, name, role in rows
    ]


def _changes_query(kinds: tuple[str, ...]) -> Select[Any]:
    return (
        select(TicketChange, User.name, User.role)
        .outerjoin(User, User.id == TicketChange.actor_id)
        .where(TicketChange.ticket_id == bindparam("ticket_id"), TicketChange.kind.in_(kinds))
        .order_by(TicketChange.id)
        .limit(TIMELINE_MAX)
    )


# Built once for each reader, as every view of a ticket reads its history (docs/performance.md).
_CHANGES: dict[tuple[str, ...], Select[Any]] = {
    kinds: _changes_query(kinds) for kinds in (KINDS, CUSTOMER_KINDS)
}


def _changes(ticket_id: int, kinds: tuple[str, ...]) -> list[tuple[TicketChange, str | None, str | None]]:
    rows = db.session.execute(_CHANGES[kinds], {"ticket_id": ticket_id})
    return [(row[0], row[1], row[2]) for row in rows]


def _assignee_ids(changes: Iterable[TicketChange]) -> set[int]:
    ids: set[int] = set()
    for change in changes:
        if change.kind == "assigned":
            ids.update(int(value) for value in (change.old, change.new) if value and value.isdigit())
    return ids


def _names(ids: set[int]) -> dict[str, str]:
    if not ids:
        return {}
    return {
        str(row.id): row.name
        for row in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    }


def _staff_actor(name: str | None) -> str:
    return name if name is not None else _("The portal")


def _customer_actor(name: str | None, role: str | None) -> str:
    if role in ("agent", "admin"):
        return _("Support team (%(name)s)", name=name)
    return name if name is not None else _("The portal")


def _ticket_link(endpoint: str, value: str | None) -> Markup | str:
    if not value or not value.isdigit():
        return value or ""
    return Markup('<a href="%s">#%s</a>') % (url_for(endpoint, ticket_id=int(value)), value)


def _describe(change: TicketChange, names: dict[str, str], ticket_endpoint: str) -> Markup:
    """The change in one sentence in the reader's language; values escaped, tickets linked."""
    describers: dict[str, Callable[[], Markup]] = {
        "status": lambda: sentence(
            _("Status changed from %(old)s to %(new)s."),
            old=status_label(change.old or ""),
            new=status_label(change.new or ""),
        ),
        "assigned": lambda: _assignment(change, names),
        "priority": lambda: sentence(
            _("Priority changed from %(old)s to %(new)s."),
            old=priority_label(change.old or ""),
            new=priority_label(change.new or ""),
        ),
        "category": lambda: sentence(
            _("Category changed from %(old)s to %(new)s."),
            old=category_label(change.old or ""),
            new=category_label(change.new or ""),
        ),
        "merged_in": lambda: sentence(
            _("Ticket %(ticket)s was merged into this one."),
            ticket=_ticket_link(ticket_endpoint, change.new),
        ),
        "merged_into": lambda: sentence(
            _("Merged into ticket %(ticket)s."), ticket=_ticket_link(ticket_endpoint, change.new)
        ),
        "split_from": lambda: sentence(
            _("Split from ticket %(ticket)s."), ticket=_ticket_link(ticket_endpoint, change.new)
        ),
        "split_to": lambda: sentence(
            _("A message was split into ticket %(ticket)s."),
            ticket=_ticket_link(ticket_endpoint, change.new),
        ),
        "rated": lambda: sentence(_("Rated %(rating)s out of 5."), rating=int(change.new or 0)),
    }
    describe = describers.get(change.kind)
    return describe() if describe else sentence(_("Changed: %(kind)s."), kind=change.kind)


def _assignment(change: TicketChange, names: dict[str, str]) -> Markup:
    before = names.get(change.old or "", _("a former member of staff")) if change.old else None
    after = names.get(change.new or "", _("a former member of staff")) if change.new else None
    if after is None:
        return sentence(_("Unassigned (was %(old)s)."), old=before or "")
    if before is None:
        return sentence(_("Assigned to %(new)s."), new=after)
    return sentence(_("Reassigned from %(old)s to %(new)s."), old=before, new=after)
