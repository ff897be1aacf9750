"""The events the tickets plugin emits, declared as types; each is emitted with the ticket's customer as
``customer_id`` and whoever acted as ``actor_id``. docs/events.md lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from flask import url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import DomainEvent, emit, sentence

from .labels import category_label, priority_label, status_label
from .models import Ticket


class _TicketEvent(DomainEvent):
    """The events about one ticket, which all link to the ticket's staff page."""

    ticket_id: int

    def link(self) -> str | None:
        return url_for("tickets_staff.staff_show", ticket_id=self.ticket_id)


@dataclass(frozen=True)
class TicketCreated(_TicketEvent):
    """A customer (or staff for them) opened a ticket."""

    name: ClassVar[str] = "tickets.created"
    label: ClassVar[LazyString] = _l("A ticket was opened")
    ticket_id: int
    customer_id: int
    category: str
    priority: str

    @property
    def fact(self) -> str:
        return f"created:{self.ticket_id}"

    def describe(self) -> Markup:
        return sentence(
            _("Opened ticket #%(ticket)s (%(category)s, %(priority)s priority)."),
            ticket=self.ticket_id,
            category=category_label(self.category),
            priority=priority_label(self.priority),
        )


@dataclass(frozen=True)
class TicketReplied(_TicketEvent):
    """Someone replied on a ticket where the customer can read it (never for internal notes)."""

    name: ClassVar[str] = "tickets.replied"
    label: ClassVar[LazyString] = _l("A ticket was replied to")
    ticket_id: int
    customer_id: int
    author: str  # "customer" or "staff"
    author_id: int | None

    def describe(self) -> Markup:
        if self.author == "staff":
            return sentence(_("Staff replied on ticket #%(ticket)s."), ticket=self.ticket_id)
        return sentence(_("Replied on ticket #%(ticket)s."), ticket=self.ticket_id)


@dataclass(frozen=True)
class TicketStatusChanged(_TicketEvent):
    """A ticket moved from one status to another (new, open, waiting, resolved, closed)."""

    name: ClassVar[str] = "tickets.status_changed"
    label: ClassVar[LazyString] = _l("A ticket's status changed")
    ticket_id: int
    customer_id: int
    old_status: str
    new_status: str

    def describe(self) -> Markup:
        return sentence(
            _("Ticket #%(ticket)s moved from %(old)s to %(new)s."),
            ticket=self.ticket_id,
            old=status_label(self.old_status),
            new=status_label(self.new_status),
        )


@dataclass(frozen=True)
class TicketResolved(_TicketEvent):
    """Staff marked a ticket resolved; it closes on its own after the set number of days."""

    name: ClassVar[str] = "tickets.resolved"
    label: ClassVar[LazyString] = _l("A ticket was resolved")
    ticket_id: int
    customer_id: int

    def describe(self) -> Markup:
        return sentence(_("Ticket #%(ticket)s was resolved."), ticket=self.ticket_id)


@dataclass(frozen=True)
class TicketReopened(_TicketEvent):
    """A resolved or closed ticket was opened again."""

    name: ClassVar[str] = "tickets.reopened"
    label: ClassVar[LazyString] = _l("A ticket was reopened")
    ticket_id: int
    customer_id: int

    def describe(self) -> Markup:
        return sentence(_("Ticket #%(ticket)s was reopened."), ticket=self.ticket_id)


@dataclass(frozen=True)
class TicketRated(_TicketEvent):
    """The customer rated how their ticket was handled (1 to 5), once per ticket."""

    name: ClassVar[str] = "tickets.rated"
    label: ClassVar[LazyString] = _l("A customer rated a ticket")
    ticket_id: int
    customer_id: int
    rating: int
    comment: str

    @property
    def fact(self) -> str:
        return f"rated:{self.ticket_id}"

    def describe(self) -> Markup:
        if self.comment:
            return sentence(
                _("Rated ticket #%(ticket)s %(rating)s out of 5, saying: %(comment)s"),
                ticket=self.ticket_id,
                rating=self.rating,
                comment=self.comment,
            )
        return sentence(
            _("Rated ticket #%(ticket)s %(rating)s out of 5."), ticket=self.ticket_id, rating=self.rating
        )


@dataclass(frozen=True)
class TicketAssigned(_TicketEvent):
    """Staff gave a ticket to a colleague, took it themselves, or left it to nobody."""

    name: ClassVar[str] = "tickets.assigned"
    label: ClassVar[LazyString] = _l("A ticket was assigned")
    ticket_id: int
    customer_id: int
    old_assignee_id: int | None
    new_assignee_id: int | None

    def describe(self) -> Markup:
        if self.new_assignee_id is None:
            return sentence(_("Ticket #%(ticket)s was left to nobody."), ticket=self.ticket_id)
        return sentence(_("Ticket #%(ticket)s was assigned."), ticket=self.ticket_id)


@dataclass(frozen=True)
class TicketNoted(_TicketEvent):
    """Staff added an internal note; it names the colleagues it mentions, never the note's text."""

    name: ClassVar[str] = "tickets.noted"
    label: ClassVar[LazyString] = _l("An internal note was added to a ticket")
    ticket_id: int
    customer_id: int
    mentioned_ids: tuple[int, ...]

    def describe(self) -> Markup:
        return sentence(_("Staff added an internal note to ticket #%(ticket)s."), ticket=self.ticket_id)


@dataclass(frozen=True)
class ApologySent(_TicketEvent):
    """Staff sent the apology for a resolved complaint (the apology flow), once per ticket."""

    name: ClassVar[str] = "tickets.apology_sent"
    label: ClassVar[LazyString] = _l("An apology was sent for a complaint")
    ticket_id: int
    customer_id: int

    @property
    def fact(self) -> str:
        return f"apology:{self.ticket_id}"

    def describe(self) -> Markup:
        return sentence(_("Staff apologised for complaint ticket #%(ticket)s."), ticket=self.ticket_id)


EVENT_TYPES: list[type[DomainEvent]] = [
    TicketCreated,
    TicketReplied,
    TicketStatusChanged,
    TicketResolved,
    TicketReopened,
    TicketRated,
    TicketAssigned,
    TicketNoted,
    ApologySent,
]


def created(ticket: Ticket, actor_id: int | None) -> None:
    """Announce a new ticket."""
    event = TicketCreated(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        category=ticket.category,
        priority=ticket.priority,
    )
    emit(event, customer_id=ticket.customer_id, actor_id=actor_id)


def replied(ticket: Ticket, actor_id: int | None, *, staff: bool) -> None:
    """Announce a reply the customer can see."""
    event = TicketReplied(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        author="staff" if staff else "customer",
        author_id=actor_id,
    )
    emit(event, customer_id=ticket.customer_id, actor_id=actor_id)


def status_changed(ticket: Ticket, actor_id: int | None, old: str, new: str) -> None:
    """Announce a change of status, and that the ticket was resolved or reopened when it was."""
    ids = {"ticket_id": ticket.id, "customer_id": ticket.customer_id}
    emit(
        TicketStatusChanged(**ids, old_status=old, new_status=new),
        customer_id=ticket.customer_id,
        actor_id=actor_id,
    )
    if new == "resolved":
        emit(TicketResolved(**ids), customer_id=ticket.customer_id, actor_id=actor_id)
    if old in ("resolved", "closed") and new not in ("resolved", "closed"):
        emit(TicketReopened(**ids), customer_id=ticket.customer_id, actor_id=actor_id)


def rated(ticket: Ticket, actor_id: int | None) -> None:
    """Announce the customer's rating; call it only when the rating was stored by this request."""
    if ticket.rating is None:
        raise ValueError(f"Ticket {ticket.id} has no rating to announce.")
    event = TicketRated(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        rating=ticket.rating,
        comment=ticket.rating_comment or "",
    )
    emit(event, customer_id=ticket.customer_id, actor_id=actor_id)


def assigned(ticket: Ticket, actor_id: int | None, old_assignee_id: int | None) -> None:
    """Announce that the ticket changed hands; call it only when the assignee did change."""
    event = TicketAssigned(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        old_assignee_id=old_assignee_id,
        new_assignee_id=ticket.assignee_id,
    )
    emit(event, customer_id=ticket.customer_id, actor_id=actor_id)


def noted(ticket: Ticket, actor_id: int, mentioned_ids: Sequence[int]) -> None:
    """Announce an internal note and whom it mentions, so they hear of it; the text stays with staff."""
    event = TicketNoted(
        ticket_id=ticket.id, customer_id=ticket.customer_id, mentioned_ids=tuple(mentioned_ids)
    )
    emit(event, customer_id=ticket.customer_id, actor_id=actor_id)


def apology_sent(ticket: Ticket, actor_id: int) -> None:
    """Announce the apology; call it only when this request stored the apology message."""
    event = ApologySent(ticket_id=ticket.id, customer_id=ticket.customer_id)
    emit(event, customer_id=ticket.customer_id, actor_id=actor_id)
