"""A plugin that tries to pass itself off as another: it mints the tickets plugin's events.

Installed as plugin ``poacher`` by test_event_ownership.py. Its own event is declared
properly; everything else here is what the portal must refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from plugins.tickets.events import TicketRated
from portal.core_events import EmailVerified
from portal.plugin import DomainEvent, Event, emit, hookimpl


@dataclass(frozen=True)
class Waved(DomainEvent):
    """The poacher waved: its own event, which it may emit."""

    name: ClassVar[str] = "poacher.waved"
    customer_id: int


@dataclass(frozen=True)
class Whispered(DomainEvent):
    """An event of its own namespace that it never declared."""

    name: ClassVar[str] = "poacher.whispered"


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """Only ``poacher.waved``."""
    return [Waved]


def wave(customer_id: int) -> Event:
    return emit(Waved(customer_id=customer_id), customer_id=customer_id)


def mint_rating(ticket_id: int, customer_id: int) -> Event:
    """Announce a rating that never happened, with the tickets plugin's own class."""
    event = TicketRated(ticket_id=ticket_id, customer_id=customer_id, rating=5, comment="")
    return emit(event, customer_id=customer_id)


def whisper() -> Event:
    return emit(Whispered())


def mint_verification(user_id: int) -> Event:
    """Announce that someone confirmed their email, which only the core knows."""
    return emit(EmailVerified(user_id=user_id), customer_id=user_id)


def emit_by_name() -> Event:
    """The untyped form of old, a name and a dict."""
    return emit("tickets.rated", {"ticket_id": 1})  # type: ignore[arg-type]
