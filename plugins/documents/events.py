"""The events the documents plugin emits, declared as types (ids and plain values only).
docs/events.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask import url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import DomainEvent, Event, emit, sentence


class _DocumentEvent(DomainEvent):
    """The events about one document, which all link to the document's staff page."""

    document_id: int

    def link(self) -> str | None:
        return url_for("documents_staff.staff_show", document_id=self.document_id)


@dataclass(frozen=True)
class DocumentPublished(_DocumentEvent):
    """A document became visible to its audience (``customer:<id>`` or a segment key).

    ``version_id`` is ``None`` for a document made from a template. The event's ``customer_id`` is the
    one customer the document is for, if any.
    """

    name: ClassVar[str] = "documents.published"
    label: ClassVar[LazyString] = _l("A document was published")
    document_id: int
    version_id: int | None
    audience: str

    def describe(self) -> Markup:
        return sentence(_("Document #%(document)s was published."), document=self.document_id)


@dataclass(frozen=True)
class DocumentDownloaded(_DocumentEvent):
    """A customer downloaded a document; the event's ``customer_id`` is that customer too."""

    name: ClassVar[str] = "documents.downloaded"
    label: ClassVar[LazyString] = _l("A customer downloaded a document")
    document_id: int
    version_id: int | None
    customer_id: int

    def describe(self) -> Markup:
        return sentence(_("Downloaded document #%(document)s."), document=self.document_id)


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
