"""Freezing the portal's clock in a test, so "after 24 hours" is a line of code and not a day's wait.

The well-kept ``time-machine`` library does the work: it changes what ``datetime.now()`` and
``time.time()`` answer everywhere in the process, so ``portal.plugin.utcnow()``, timestamps written
by the core, signed tokens and the live server's thread all see the same frozen moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import time_machine


class FrozenClock:
    """The stopped clock a test holds: move it to a moment or on by a while; it never ticks by itself."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def move_to(self, when: datetime) -> None:
        """Jump to ``when``; a naive ``when`` is UTC, as the portal stores every time."""
        self._traveller.move_to(_aware(when))

    def advance(self, by: timedelta) -> None:
        """Let ``by`` pass at once (a day, to make a reminder due)."""
        self._traveller.shift(by)

    def now(self) -> datetime:
        """The frozen moment as naive UTC, the way ``utcnow()`` answers it."""
        return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def freeze_clock(when: datetime) -> Iterator[FrozenClock]:
    """Stop the clock at ``when`` for the block (a naive ``when`` is UTC, like the portal's timestamps).

    Use it to test what depends on time (expiry, reminders, "due in 24 hours") without sleeping:
    ``with freeze_clock(datetime(2026, 1, 31, 9, 0)) as clock: …; clock.advance(timedelta(days=1))``.
    """
    with time_machine.travel(_aware(when), tick=False) as traveller:
        yield FrozenClock(traveller)


def _aware(when: datetime) -> datetime:
    # time-machine reads a naive datetime as local time; the portal's naive times are UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
