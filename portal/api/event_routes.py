"""The staff API's event feed: the domain events the portal stored, for a tool that polls for them.

An integration that cannot take webhooks (behind a firewall, or run as a nightly job) reads the
same events here, oldest first, and resumes after the last id it stored. Only events of the core
and of the plugins switched on now are listed, and none that would name someone the portal promised
anonymity to (``DomainEvent.anonymous_without_customer``).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import ColumnElement, and_, not_, or_, select

from portal.access import AGENT
from portal.api.access import api_access
from portal.api.blueprint import ApiBlueprint
from portal.api.schemas import PageArguments, UtcDateTime, api_page, page_of
from portal.converters import ID_MAX
from portal.event_types import CORE, EVENT_NAME_MAX, declared_events
from portal.events import StoredEvent
from portal.plugin_manager import plugin_host

events_api = ApiBlueprint(
    "api_events", __name__, url_prefix="/events", description="Stored domain events, for polling."
)

# An event's name (``tickets.resolved``), or the start of its owner's names (``tickets.``).
NAME_OR_PREFIX = r"^[a-z][a-z0-9_]*\.([a-z][a-z0-9_]*)?$"


class EventSchema(ma.Schema):
    id = ma.fields.Integer(
        required=True, metadata={"description": "Ascending: the order events happened in."}
    )
    name = ma.fields.String(
        required=True, metadata={"description": "<owner>.<verb>, as docs/events.md lists."}
    )
    payload = ma.fields.Dict(required=True, metadata={"description": "The event's fields (docs/events.md)."})
    customer_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "The customer it is about."}
    )
    actor_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Who made it happen."}
    )
    created_at = UtcDateTime(required=True)


class EventListArguments(PageArguments):
    name = ma.fields.String(
        load_default=None,
        validate=[ma.validate.Length(max=EVENT_NAME_MAX), ma.validate.Regexp(NAME_OR_PREFIX)],
        metadata={
            "description": "One event's name (tickets.resolved), or an owner's with its dot (tickets.)."
        },
    )
    customer_id = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(1, ID_MAX),
        metadata={"description": "Only the events about this customer."},
    )
    after_id = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(0, ID_MAX),
        metadata={"description": "Only events after this id: the id of the last event you stored."},
    )


EventPage = page_of(EventSchema, "EventPageSchema")


@events_api.route("/")
@events_api.etag
@events_api.arguments(EventListArguments, location="query")
@events_api.response(200, EventPage)
@api_access(AGENT, "events:read")
def events(arguments: dict[str, Any]) -> Any:
    """Stored events, oldest first: pass the id of the last one you stored as ``after_id`` to go on.

    The last page has no ``next_cursor``, and a poller remembers ids rather than cursors, so the
    next poll starts after the last event it saw however long ago that was.
    """
    query = select(StoredEvent).where(_published())
    if name := arguments["name"]:
        query = query.where(
            StoredEvent.name.startswith(name, autoescape=True)
            if name.endswith(".")
            else StoredEvent.name == name
        )
    if arguments["customer_id"] is not None:
        query = query.where(StoredEvent.customer_id == arguments["customer_id"])
    if arguments["after_id"] is not None:
        query = query.where(StoredEvent.id > arguments["after_id"])
    return api_page(query, [StoredEvent.id], arguments)


def _published() -> ColumnElement[bool]:
    """The events the feed may show: the core's and enabled plugins', and no anonymous person's act.

    An event's owner is the part of its name before the dot (``portal.event_types``). A switched-off
    plugin's events are left out as its pages are, and come back with it.
    """
    owners = sorted(plugin_host().enabled() | {CORE})
    anonymous = declared_events().anonymous_without_customer()
    return and_(
        or_(*(StoredEvent.name.startswith(f"{owner}.", autoescape=True) for owner in owners)),
        not_(and_(StoredEvent.name.in_(anonymous), StoredEvent.customer_id.is_(None))),
    )
