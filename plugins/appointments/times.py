"""Reading what staff type: a wall-clock time in the agent's own zone, stored as UTC.

The portal stores naive UTC. A slot's start typed by an agent in Tehran means Tehran time, so it is
read in the agent's zone; a customer in Berlin then reads the same instant in Berlin time through
``format_datetime`` (and the ``|datetimeformat`` filter) of ``portal.plugin``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from portal.plugin import User, user_now


def local_to_utc(local: datetime, user: User) -> datetime | None:
    """The naive UTC instant of ``local`` read on ``user``'s wall clock.

    ``None`` when that wall-clock time does not exist there (skipped when the clocks go forward), so
    the form can say so instead of silently booking an hour off.
    """
    zone = user_now(user).tzinfo
    aware = local.replace(tzinfo=zone)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        return None
    return utc.replace(tzinfo=None)
