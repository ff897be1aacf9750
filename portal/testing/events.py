"""Emitting another owner's events from a test, to try a handler with exactly the event it will get.

``emit`` refuses an event from code outside its owner, and a test module is nobody's package. A test
of loyalty's awards still needs a ``tickets.rated`` without opening, answering and rating a ticket;
``emit_as_owner`` stores it as the tickets plugin would. It works only in a testing app.
"""

from __future__ import annotations

from flask import current_app

from portal.event_types import DomainEvent, declared_events
from portal.events import Event, record_event


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
