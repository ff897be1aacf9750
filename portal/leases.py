"""Leases: how a row of work (a job, a scheduled task) is held by one process at a time across machines.

A lease is a ``held until`` time on the row. Taking it is one conditional UPDATE that also checks
the caller's conditions, so of two processes trying at once exactly one gets the row; a holder that
dies simply lets the time run out, and the next process takes the row as lost. Jobs and scheduled
tasks both hold their rows this way, with the same running lease.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.orm import InstrumentedAttribute

from portal.database import rows_matched

# Work still held after this is taken as lost with its process; jobs and scheduled tasks must finish
# well within it (queue jobs for anything longer).
RUNNING_LEASE = timedelta(minutes=30)


def lease_free(held_until: InstrumentedAttribute[datetime | None], now: datetime) -> ColumnElement[bool]:
    """Rows nobody holds: never leased, released, or whose holder's time ran out."""
    return or_(held_until.is_(None), held_until < now)


def lease_lost(held_until: InstrumentedAttribute[datetime | None], now: datetime) -> ColumnElement[bool]:
    """Rows leased by a holder whose time ran out: it died or hung, and the work is someone else's now."""
    return held_until < now


def take_lease(
    model: type[Any],
    *conditions: ColumnElement[bool],
    held_until: InstrumentedAttribute[datetime | None],
    now: datetime,
    length: timedelta,
    **values: Any,
) -> bool:
    """Hold the row matching ``conditions`` for ``length`` (and set ``values``); ``False`` if another has it.

    The conditions are the compare of a compare-and-set: pass ``lease_free(...)`` among them unless
    the caller's own state check (``status == 'queued'``) already says nobody holds the row. The
    caller commits, which is when the lease becomes visible to others.
    """
    taken = rows_matched(
        update(model)
        .where(*conditions)
        .values({held_until.key: now + length, **values})
        .execution_options(synchronize_session=False)
    )
    return taken == 1


def release_lease(
    model: type[Any],
    *conditions: ColumnElement[bool],
    held_until: InstrumentedAttribute[datetime | None],
    **values: Any,
) -> int:
    """Let go of the rows matching ``conditions`` (setting ``values``), so the next claimant need not wait.

    Returns how many rows changed, so a holder that lost its lease meanwhile can tell. The caller commits.
    """
    return rows_matched(
        update(model)
        .where(*conditions)
        .values({held_until.key: None, **values})
        .execution_options(synchronize_session=False)
    )
