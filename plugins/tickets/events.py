"""The events the tickets plugin emits, declared as types; each is emitted with the ticket's customer as
``customer_id`` and whoever acted as ``actor_id``. docs/events.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.plugin import DomainEvent, emit

from .models import Ticket


@dataclass(frozen=True)
class TicketCreated(DomainEvent):
    """A customer (or staff for them) opened a ticket."""

    name: ClassVar[str] = "tickets.created"
    ticket_id: int
    customer_id: int
    category: str
    priority: str

    @property
    def fact(self) -> str:
        return f"created:{self.ticket_id}"


@dataclass(frozen=True)
class TicketReplied(DomainEvent):
    """Someone replied on a ticket where the customer can read it (never for internal notes)."""

    name: ClassVar[str] = "tickets.replied"
    ticket_id: int
    customer_id: int
    author: str  # "customer" or "staff"
    author_id: int | None


@dataclass(frozen=True)
class TicketStatusChanged(DomainEvent):
    """A ticket moved from one status to another (new, open, waiting, resolved, closed)."""

    name: ClassVar[str] = "tickets.status_changed"
    ticket_id: int
    customer_id: int
    old_status: str
    new_status: str


@dataclass(frozen=True)
class TicketResolved(DomainEvent):
    """Staff marked a ticket resolved; it closes on its own after the set number of days."""

    name: ClassVar[str] = "tickets.resolved"
    ticket_id: int
    customer_id: int


@dataclass(frozen=True)
class TicketReopened(DomainEvent):
    """A resolved or closed ticket was opened again."""

    name: ClassVar[str] = "tickets.reopened"
    ticket_id: int
    customer_id: int


@dataclass(frozen=True)
class TicketRated(DomainEvent):
    """The customer rated how their ticket was handled (1 to 5), once per ticket."""

    name: ClassVar[str] = "tickets.rated"
    ticket_id: int
    customer_id: int
    rating: int
    comment: str

    @property
    def fact(self) -> str:
        return f"rated:{self.ticket_id}"


EVENT_TYPES: list[type[DomainEvent]] = [
    TicketCreated,
    TicketReplied,
    TicketStatusChanged,
    TicketResolved,
    TicketReopened,
    TicketRated,
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
