"""The events the tickets plugin emits. Each carries customer_id=<ticket's customer>, actor_id=<who acted>.

tickets.created         {ticket_id, customer_id, category, priority}
tickets.replied         {ticket_id, customer_id, author: "customer"|"staff", author_id}
                        (never emitted for internal notes)
tickets.status_changed  {ticket_id, customer_id, from, to}
tickets.resolved        {ticket_id, customer_id}
tickets.reopened        {ticket_id, customer_id}
tickets.rated           {ticket_id, customer_id, rating (1-5), comment}
"""

from __future__ import annotations

from portal.plugin import emit

from .models import Ticket


def _emit(name: str, ticket: Ticket, actor_id: int | None, **extra: object) -> None:
    payload = {"ticket_id": ticket.id, "customer_id": ticket.customer_id, **extra}
    emit(name, payload, customer_id=ticket.customer_id, actor_id=actor_id)


def created(ticket: Ticket, actor_id: int | None) -> None:
    _emit("tickets.created", ticket, actor_id, category=ticket.category, priority=ticket.priority)


def replied(ticket: Ticket, actor_id: int | None, *, staff: bool) -> None:
    _emit("tickets.replied", ticket, actor_id, author="staff" if staff else "customer", author_id=actor_id)


def status_changed(ticket: Ticket, actor_id: int | None, old: str, new: str) -> None:
    _emit("tickets.status_changed", ticket, actor_id, **{"from": old, "to": new})
    if new == "resolved":
        _emit("tickets.resolved", ticket, actor_id)
    if old in ("resolved", "closed") and new not in ("resolved", "closed"):
        _emit("tickets.reopened", ticket, actor_id)


def rated(ticket: Ticket, actor_id: int | None) -> None:
    _emit("tickets.rated", ticket, actor_id, rating=ticket.rating, comment=ticket.rating_comment or "")
