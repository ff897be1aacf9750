"""Who may see which document: the one rule every customer-facing query goes through.

A customer sees a published, unexpired document addressed to them, or to a segment they are in. The
segment is resolved by the core (``audience_condition``); a key that no longer resolves (an organization
that is gone, a plugin switched off) is seen by nobody but staff. The rule is one SQL condition, so
the list runs a fixed number of queries however many documents and audiences exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, or_, select
from sqlalchemy.orm import aliased

from portal.plugin import ID_MAX, User, audience_condition, db, keyset_page, utcnow

from .models import Document, Download, Version

PAGE_SIZE = 20


def visible_condition(user: User) -> ColumnElement[bool]:
    """The documents ``user`` may see as a customer: two queries at most, whatever the count."""
    now = utcnow()
    live = and_(
        Document.published.is_(True),
        or_(Document.expires_at.is_(None), Document.expires_at > now),
    )
    if user.role != "customer":
        # Staff reach documents through the staff pages; segments hold customers only.
        return and_(live, Document.audience_customer_id == user.id)
    return and_(
        live,
        or_(
            Document.audience_customer_id == user.id,
            audience_condition(user, Document.audience_key, among=live),
        ),
    )


def _newest_version_id() -> ScalarSelect[int]:
    """The newest version of the document in the outer query, sought in that document's versions only:
    grouping every version of every document to find the newest cost the list about 40 ms at 40,000
    documents, and more with each one added."""
    return _NEWEST_VERSION_ID


# Built once: the subquery holds nothing of the request, and a new alias on every list made
# SQLAlchemy adapt and key the whole statement afresh.
_NEWER = aliased(Version, name="newer_version")
_NEWEST_VERSION_ID = select(func.max(_NEWER.id)).where(_NEWER.document_id == Document.id).scalar_subquery()


def visible_document(user: User, document_id: int) -> Document | None:
    """The document if ``user`` may see it; ``None`` (answer 404) otherwise, and for unknown ids."""
    if not 0 < document_id <= ID_MAX:
        return None
    return db.session.scalar(select(Document).where(Document.id == document_id, visible_condition(user)))


def latest_version(document_id: int) -> Version | None:
    return db.session.scalar(
        select(Version).where(Version.document_id == document_id).order_by(Version.id.desc()).limit(1)
    )


@dataclass
class Row:
    document: Document
    version: Version | None
    unread: bool


@dataclass
class Page:
    rows: list[Row]
    next_before: str | None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def customer_page(
    user: User, *, category: str = "", search: str = "", before: str | None = None, size: int = PAGE_SIZE
) -> Page:
    """The documents ``user`` may see, newest first, a page at a time (keyset on the id)."""
    opened = (
        select(Download.id).where(Download.document_id == Document.id, Download.user_id == user.id).exists()
    )
    query = (
        select(Document, Version, opened.label("opened"))
        .outerjoin(Version, and_(Version.document_id == Document.id, Version.id == _newest_version_id()))
        .where(visible_condition(user))
        .where(or_(Version.id.is_not(None), Document.template_id.is_not(None)))
    )
    if category:
        query = query.where(Document.category == category)
    if search:
        pattern = f"%{escape_like(search.lower())}%"
        query = query.where(
            or_(
                func.lower(Document.title).like(pattern, escape="\\"),
                func.lower(Document.description).like(pattern, escape="\\"),
            )
        )
    page = keyset_page(
        query,
        [Document.id],
        cursor=before,
        size=size,
        descending=True,
        scalars=False,
    )
    rows = [Row(document, version, not opened) for document, version, opened in page.items]
    return Page(rows, page.next_cursor)


def new_for(user: User, since, limit: int = 5) -> tuple[list[Document], int]:
    """The newest unopened documents for the dashboard tile, and how many there are in all."""
    opened = (
        select(Download.id).where(Download.document_id == Document.id, Download.user_id == user.id).exists()
    )
    condition = and_(visible_condition(user), ~opened, Document.published_at >= since)
    documents = db.session.scalars(
        select(Document).where(condition).order_by(Document.id.desc()).limit(limit)
    ).all()
    count = db.session.scalar(select(func.count()).select_from(Document).where(condition)) or 0
    return list(documents), count
