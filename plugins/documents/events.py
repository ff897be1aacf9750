"""The events the documents plugin emits, declared as types (ids and plain values only).
docs/events.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.plugin import DomainEvent, Event, emit


@dataclass(frozen=True)
class DocumentPublished(DomainEvent):
    """A document became visible to its audience (``customer:<id>`` or a segment key).

    ``version_id`` is ``None`` for a document made from a template. The event's ``customer_id`` is the
    one customer the document is for, if any.
    """

    name: ClassVar[str] = "documents.published"
    document_id: int
    version_id: int | None
    audience: str


@dataclass(frozen=True)
class DocumentDownloaded(DomainEvent):
    """A customer downloaded a document; the event's ``customer_id`` is that customer too."""

    name: ClassVar[str] = "documents.downloaded"
    document_id: int
    version_id: int | None
    customer_id: int


EVENT_TYPES: list[type[DomainEvent]] = [DocumentPublished, DocumentDownloaded]


def published(
    document_id: int, version_id: int | None, audience: str, customer_id: int | None, actor_id: int
) -> Event:
    """Announce a published document (or a new version of one)."""
    return emit(
        DocumentPublished(document_id=document_id, version_id=version_id, audience=audience),
        customer_id=customer_id,
        actor_id=actor_id,
    )


def downloaded(document_id: int, version_id: int | None, customer_id: int) -> Event:
    """Announce a customer's download."""
    return emit(
        DocumentDownloaded(document_id=document_id, version_id=version_id, customer_id=customer_id),
        customer_id=customer_id,
        actor_id=customer_id,
    )
