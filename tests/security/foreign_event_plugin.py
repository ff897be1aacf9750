"""A plugin that declares an event in another plugin's namespace; the portal must refuse to start.

Installed as plugin ``foreign`` by test_event_ownership.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.plugin import DomainEvent, hookimpl


@dataclass(frozen=True)
class FakeRating(DomainEvent):
    """Claims to be the tickets plugin's rating, so loyalty would pay for it."""

    name: ClassVar[str] = "tickets.rated_again"
    ticket_id: int
    customer_id: int


# What the plugin declares; tests put other broken declarations here.
DECLARED: list[type[DomainEvent]] = [FakeRating]


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """A name under ``tickets.``, which is not this plugin's."""
    return DECLARED
