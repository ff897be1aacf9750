"""The events the documents plugin emits, with their payloads (ids and plain values only).

``documents.published``  {"document_id": int, "version_id": int | None, "audience": str}
    A document became visible to its audience (``customer:<id>`` or a segment key). ``version_id`` is
    ``None`` for a document made from a template. ``customer_id`` is the one customer it is for, if any.
``documents.downloaded`` {"document_id": int, "version_id": int | None, "customer_id": int}
    A customer downloaded a document; the event's ``customer_id`` is that customer too.
"""

from __future__ import annotations

from portal.plugin import emit

PUBLISHED = "documents.published"
DOWNLOADED = "documents.downloaded"


def published(
    document_id: int, version_id: int | None, audience: str, customer_id: int | None, actor_id: int
):
    return emit(
        PUBLISHED,
        {"document_id": document_id, "version_id": version_id, "audience": audience},
        customer_id=customer_id,
        actor_id=actor_id,
    )


def downloaded(document_id: int, version_id: int | None, customer_id: int):
    return emit(
        DOWNLOADED,
        {"document_id": document_id, "version_id": version_id, "customer_id": customer_id},
        customer_id=customer_id,
        actor_id=customer_id,
    )
