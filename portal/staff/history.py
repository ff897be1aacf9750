"""One history of what the portal heard from and said to a person: events, notifications and mail.

Three tables, each read newest first through its own (person, id) index, are merged by time. A page
link carries one position per source, the id to read below, so each source is walked in its own id
order: however the three interleave, no entry is lost or shown twice, entries added while someone
pages wait on the newest page, and a page costs one indexed query per source whatever the length of
the history (core_0011 explains why the timeline must seek, not sort).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from portal.converters import ID_MAX
from portal.database import db
from portal.event_types import declared_events
from portal.events import StoredEvent
from portal.notifications.models import Notification
from portal.paging import SEPARATOR, encode_cursor
from portal.sent_mail import SentMail
from portal.staff.activity import (
    EMAIL,
    EVENTS,
    NOTIFICATIONS,
    Activity,
    event_tags,
    in_words,
    mail_in_words,
    notification_in_words,
)

# A position past every id: the first row of a source not yet reached is read again from here.
UNREAD_MAX = ID_MAX + 1
# A source with nothing left below the page: not asked again.
EXHAUSTED = 0


@dataclass(frozen=True)
class Source:
    """One table of the history: its rows, the column naming the person, and its place among equals.

    ``rank`` orders entries of the very same moment, so the order never depends on the database.
    """

    channel: str
    model: type[Any]
    person: InstrumentedAttribute[Any]
    rank: int


SOURCES: tuple[Source, ...] = (
    Source(EVENTS, StoredEvent, StoredEvent.customer_id, rank=0),
    Source(NOTIFICATIONS, Notification, Notification.user_id, rank=1),
    Source(EMAIL, SentMail, SentMail.user_id, rank=2),
)
CHANNELS: tuple[str, ...] = tuple(source.channel for source in SOURCES)


@dataclass(frozen=True)
class HistoryPage:
    """One page of the history in words, newest first, and the link text of the page after it."""

    entries: list[Activity]
    older: str | None


def read_positions(cursor: str | None) -> list[int | None]:
    """Where each source's next page starts (``None``: from its newest row), from a page link.

    A bare id is a link saved before the history merged its sources: the events' position, the
    other sources from their newest. A link this module did not write means the first page, as a
    broken keyset link does everywhere.
    """
    first: list[int | None] = [None] * len(SOURCES)
    parts = (cursor or "").split(SEPARATOR)
    if len(parts) not in (1, len(SOURCES)) or not all(_is_position(part) for part in parts):
        return first
    positions: list[int | None] = [int(part) for part in parts]
    return positions + first[len(positions) :]


def _is_position(part: str) -> bool:
    return part.isascii() and part.isdigit() and len(part) <= len(str(UNREAD_MAX)) and int(part) <= UNREAD_MAX


def history_page(
    person_id: int, cursor: str | None, channels: Iterable[str] = CHANNELS, size: int = 20
) -> HistoryPage:
    """The page of ``person_id``'s history at ``cursor``, from the sources of ``channels`` only."""
    wanted = set(channels)
    positions = read_positions(cursor)
    fetched = [
        _rows(source, person_id, below, size + 1) if source.channel in wanted and below != EXHAUSTED else []
        for source, below in zip(SOURCES, positions, strict=True)
    ]
    streams = [
        [((row.created_at, source.rank, row.id), index, row) for row in rows]
        for index, (source, rows) in enumerate(zip(SOURCES, fetched, strict=True))
    ]
    page = list(heapq.merge(*streams, key=lambda item: item[0], reverse=True))[:size]
    taken = [[row for _key, index, row in page if index == source] for source in range(len(SOURCES))]
    after = [_next_position(rows, used, size) for rows, used in zip(fetched, taken, strict=True)]
    more = any(position != EXHAUSTED for position in after)
    return HistoryPage(
        entries=_in_words([(SOURCES[index], row) for _key, index, row in page]),
        older=encode_cursor(after) if more else None,
    )


def _rows(source: Source, person_id: int, below: int | None, limit: int) -> Sequence[Any]:
    """The source's newest ``limit`` rows about the person below the id ``below``: one index seek."""
    query = select(source.model).where(source.person == person_id)
    if below is not None:
        query = query.where(source.model.id < below)
    return db.session.scalars(query.order_by(source.model.id.desc()).limit(limit)).all()


def _next_position(rows: Sequence[Any], used: list[Any], size: int) -> int:
    """Where the source's next page starts: below its last row shown, or at its first row not shown."""
    if len(rows) <= size and len(used) == len(rows):
        return EXHAUSTED
    return int(used[-1].id) if used else int(rows[0].id) + 1


def _in_words(page: list[tuple[Source, Any]]) -> list[Activity]:
    """Each entry of the page in words; the event declarations and tags are looked up once."""
    has_events = any(source.channel == EVENTS for source, _row in page)
    types = declared_events() if has_events else None
    tags = event_tags() if has_events else {}
    entries = []
    for source, row in page:
        if source.channel == EVENTS:
            entries.append(in_words(row, types, tags))
        elif source.channel == NOTIFICATIONS:
            entries.append(notification_in_words(row))
        else:
            entries.append(mail_in_words(row))
    return entries
