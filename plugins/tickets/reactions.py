"""What the tickets plugin does once a change has committed: staff alerts, auto-replies, mail to the
people on a ticket, tickets held for an address that was just confirmed.

Each module below keeps its own ``REACTIONS`` (event name → functions taking the ``Event``); this one
runs them in order, inside the delivery's transaction, so an effect happens exactly once per event.
"""

from __future__ import annotations

from collections.abc import Callable

from portal.plugin import Event

from . import auto_reply, staff_alerts, watchers

Reaction = Callable[[Event], None]

_SOURCES: tuple[dict[str, tuple[Reaction, ...]], ...] = (
    staff_alerts.REACTIONS,
    auto_reply.REACTIONS,
    watchers.REACTIONS,
)


def handle(event: Event) -> None:
    """Run every reaction the plugin has to ``event``; events nobody here reacts to pass untouched."""
    for source in _SOURCES:
        for reaction in source.get(event.name, ()):
            reaction(event)
