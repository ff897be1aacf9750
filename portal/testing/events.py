"""Events in tests: emitting another owner's event, and listing the events a block emitted.

``emit`` refuses an event from code outside its owner, and a test module is nobody's package. A test
of loyalty's awards still needs a ``tickets.rated`` without opening, answering and rating a ticket;
``emit_as_owner`` stores it as the tickets plugin would. It works only in a testing app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy import func, select

from portal.database import db
from portal.event_types import DomainEvent, declared_events
from portal.events import Event, StoredEvent, record_event


def emit_as_owner(event: DomainEvent, customer_id: int | None = None, actor_id: int | None = None) -> Event:
    """``emit`` on behalf of the event's owner, in the caller's transaction: for tests only.

    The event must still be of a declared kind; only the check of who calls is left out.
    """
    if not current_app.testing:
        raise RuntimeError("emit_as_owner is for tests: it runs only in an app with TESTING set.")
    declared = declared_events().declaration(type(event).name)
    if declared is None or declared.event_type is not type(event):
        raise LookupError(f"The event {type(event).name!r} is not declared by anyone.")
    return record_event(event, customer_id=customer_id, actor_id=actor_id)


@contextmanager
def events_emitted(app: Flask) -> Iterator[list[DomainEvent]]:
    """The events that transactions committed inside the block stored, oldest first, typed.

    The list is filled when the block ends. An event whose transaction rolled back is not in it, as
    nobody heard of it; compare with the events themselves: ``assert emitted == [NoteShared(note_id=1,
    organization_id=2)]``.
    """
    with app.app_context():
        before = db.session.scalar(select(func.max(StoredEvent.id))) or 0
        db.session.remove()
    emitted: list[DomainEvent] = []
    yield emitted
    with app.app_context():
        stored = db.session.scalars(
            select(StoredEvent).where(StoredEvent.id > before).order_by(StoredEvent.id)
        ).all()
        emitted.extend(event.data for event in (row.as_event() for row in stored) if event.data is not None)
        db.session.remove()
