"""What one unit of work reads once and keeps until it ends: plugin switches, settings, notification kinds.

A unit of work is one Flask app context: each request has its own, each job ``portal worker`` runs has
its own, and so has each CLI command (``portal tick`` and everything it runs). A job run in-process
when a request ends runs in that request's context, so it belongs to the request's unit. Values are
kept on ``flask.g``, which lives exactly as long as the app context: a change another worker makes is
seen by every unit that starts after it was committed. (``portal.configuration_cache`` also keeps
switches and settings in the worker between units, and asks the database each unit whether they
changed.)

The unit that makes a change calls ``forget`` so it reads the new value at once; if that change is
then rolled back, the value is forgotten again, so no unit goes on with a value nobody committed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.database import db

Value = TypeVar("Value")

_REMEMBERED = "portal_unit_of_work"
_CHANGED = "portal_unit_of_work.changed"  # session.info: names changed in the open transaction
_FORGOTTEN = "portal_unit_of_work.forgotten"  # flask.g: names the unit changed at any time


def remembered(name: Hashable, read: Callable[[], Value]) -> Value:
    """The value ``read()`` returned the first time this unit of work asked for ``name``.

    Outside an app context there is no unit to keep it for, so ``read`` runs every time.
    """
    if not has_app_context():
        return read()
    values: dict[Hashable, Any] = g.setdefault(_REMEMBERED, {})
    if name not in values:
        values[name] = read()
    return values[name]


def forget(name: Hashable) -> None:
    """Drop what this unit remembered for ``name`` because it just changed what that was read from.

    Call it after writing the change into the session: the next read sees it. Should the transaction
    roll back, ``name`` is forgotten again, so the unit reads the committed value once more.
    """
    if not has_app_context():
        return
    g.get(_REMEMBERED, {}).pop(name, None)
    g.setdefault(_FORGOTTEN, set()).add(name)
    if db.session.registry.has():
        db.session().info.setdefault(_CHANGED, set()).add(name)


def changed_in_this_unit(name: Hashable) -> bool:
    """Whether this unit changed what ``name`` is read from (it called ``forget``), committed or not.

    A value read after that may be one nobody has committed yet, or newer than anything read before
    the change, so it is this unit's alone.
    """
    return has_app_context() and name in g.get(_FORGOTTEN, ())


@event.listens_for(Session, "after_commit")
def _changes_are_committed(session: Session) -> None:
    # Fires for savepoints too; only the outermost commit makes the changes everyone's.
    if not session.in_nested_transaction():
        session.info.pop(_CHANGED, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_changes(session: Session, _previous_transaction: Any) -> None:
    # A rollback of a savepoint or of the whole transaction may undo a change read since: read again.
    # The names stay marked while an outer transaction that may hold earlier changes goes on.
    names = session.info.get(_CHANGED)
    if names and has_app_context():
        values = g.get(_REMEMBERED, {})
        for name in names:
            values.pop(name, None)
    if not session.in_transaction():
        session.info.pop(_CHANGED, None)
