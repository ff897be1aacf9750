"""The 360° activity in words: each stored event rebuilt as its type and asked what happened and where.

A stored event may outlive its declaration (a plugin removed, a payload of an older shape) or belong to
a plugin switched off; each row then still reads, with the generic sentence or without a link, and a
mistake in one plugin's ``describe`` costs that row its words, never the page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from portal.event_types import CORE, EventTypes, declared_events, generic_description
from portal.events import StoredEvent
from portal.plugin_manager import plugin_host

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Activity:
    """One row of the activity list: when, what happened in words, and the staff page about it."""

    created_at: datetime
    words: Markup
    link: str | None


def in_words(stored: StoredEvent, types: EventTypes | None = None) -> Activity:
    """``stored`` as a sentence and a link, falling back to the generic sentence when it cannot be typed."""
    types = types or declared_events()
    fallback = Activity(created_at=stored.created_at, words=generic_description(stored.name), link=None)
    payload = stored.payload
    if not isinstance(payload, Mapping):
        return fallback
    event = types.rebuild(stored.name, payload)
    declared = types.declaration(stored.name)
    if event is None or declared is None:
        return fallback
    try:
        words = event.describe()
        shown = declared.owner == CORE or plugin_host().is_enabled(declared.owner)
        link = event.link() if shown else None
    except Exception:  # one plugin's mistake must not take the customer's page down
        log.exception("Could not put the stored event %s (#%s) into words", stored.name, stored.id)
        return fallback
    return Activity(created_at=stored.created_at, words=Markup.escape(words), link=link)


def activities(events: list[StoredEvent]) -> list[Activity]:
    """Every stored event of one page of the timeline, in words."""
    types = declared_events()
    return [in_words(stored, types) for stored in events]
