"""The help center's tables, all named helpcenter_*.

An article's text in the default language lives in its own columns and the other languages in its
``translations`` (the portal's content model, ``portal.content_languages``). Every save is kept as a
version. ``SearchEntry`` holds one normalised copy of each language's text, which the database's own
full-text index reads (FTS5 on SQLite, a GIN index on PostgreSQL; see ``search``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, made_by_migration, translations_column, utcnow

MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"

TITLE_MAX = 160
BODY_MAX = 50_000
CATEGORY_NAME_MAX = 80
AUDIENCE_MAX = 120
COMMENT_MAX = 1000
VERSION_NOTE_MAX = 200

DRAFT = "draft"
PUBLISHED = "published"
ARCHIVED = "archived"
STATUSES = (DRAFT, PUBLISHED, ARCHIVED)

# Audiences besides segment keys: anyone who may read the help center (visitors too, when the
# administrator allows it), and every signed-in customer (the core's "all-customers" segment).
EVERYONE = "everyone"
ALL_CUSTOMERS = "all-customers"


class Category(Model):
    """A shelf of articles ("Billing", "Your account"), in the order staff set."""

    __tablename__ = "helpcenter_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(CATEGORY_NAME_MAX), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    translations: Mapped[dict[str, dict[str, str]] | None] = translations_column()


class Article(Model):
    """One answer, as customers read it now: the latest saved version of its text.

    ``audience`` is ``everyone``, ``all-customers``, or a segment key (``organization:12``,
    ``loyalty.tier:gold``); ``access.visible_condition`` is the one rule that reads it.
    """

    __tablename__ = "helpcenter_articles"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="known_status"),
        CheckConstraint("views >= 0 AND helpful >= 0 AND unhelpful >= 0", name="counts_not_negative"),
        Index("ix_helpcenter_articles_status_category", "status", "category_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("helpcenter_categories.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    translations: Mapped[dict[str, dict[str, str]] | None] = translations_column()
    status: Mapped[str] = mapped_column(String(12), default=DRAFT)
    audience: Mapped[str] = mapped_column(String(AUDIENCE_MAX), default=EVERYONE, index=True)
    version: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    views: Mapped[int] = mapped_column(default=0)
    helpful: Mapped[int] = mapped_column(default=0)
    unhelpful: Mapped[int] = mapped_column(default=0)


class ArticleVersion(Model):
    """A saved state of an article's text in every language, so staff can see and restore any edit."""

    __tablename__ = "helpcenter_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("helpcenter_articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    translations: Mapped[dict[str, dict[str, str]] | None] = translations_column()
    note: Mapped[str] = mapped_column(String(VERSION_NOTE_MAX), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchEntry(Model):
    """An article's text in one language, normalised for search (``search_text.normalise``)."""

    __tablename__ = "helpcenter_search_entries"
    __table_args__ = (UniqueConstraint("article_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("helpcenter_articles.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


class Reading(Model):
    """Someone opened an article: its view count, the customer's reading history and deflection.

    ``from_ticket_form`` marks a reading that began among the suggestions of the new-ticket form;
    ``outcome`` then says how it ended: ``helped`` (the reader said so), ``ticket`` (they opened a
    ticket within the deflection window, ``ticket_id``), or ``not_helped``. A reading still ``None``
    once the window has passed counts as deflected: the question did not become a ticket.
    """

    __tablename__ = "helpcenter_readings"
    __table_args__ = (
        Index("ix_helpcenter_readings_user_id_created_at", "user_id", "created_at"),
        Index("ix_helpcenter_readings_form_created_at", "from_ticket_form", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("helpcenter_articles.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    from_ticket_form: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str | None] = mapped_column(String(12))
    ticket_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Model):
    """An answer to "Did this help?", with the reader's optional comment for the article's author."""

    __tablename__ = "helpcenter_feedback"
    # One answer per signed-in reader and article (NULL user ids, visitors, never collide).
    __table_args__ = (UniqueConstraint("article_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("helpcenter_articles.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), index=True)
    helpful: Mapped[bool] = mapped_column()
    comment: Mapped[str] = mapped_column(String(COMMENT_MAX), default="")
    language: Mapped[str] = mapped_column(String(12), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The full-text index over the entries (helpcenter_0002) is written by hand for each database.
made_by_migration(
    "helpcenter_search_fts", "ix_helpcenter_search_entries_text", "ix_helpcenter_search_entries_title"
)
