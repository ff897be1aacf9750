"""The documents plugin's tables, every one named documents_*.

A document is published once to an audience (one customer, or a segment's key as the core names it)
and keeps every version of its file; customers see the newest, staff see all. A document may instead
be made from a template, filled for each customer when they download it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, translations_column, utcnow

MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"

TITLE_MAX = 200
# The longest Idempotency-Key the API takes (portal.api.schemas.IDEMPOTENCY_KEY_MAX).
REQUEST_KEY_MAX = 64
DESCRIPTION_MAX = 2000
CATEGORY_MAX = 40
AUDIENCE_MAX = 120
FILENAME_MAX = 255
TEMPLATE_NAME_MAX = 200
TEMPLATE_BODY_MAX = 50_000
LANGUAGE_MAX = 16


class DocumentTemplate(Model):
    """HTML written by an administrator, with tokens filled per customer in a sandbox."""

    __tablename__ = "documents_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TEMPLATE_NAME_MAX))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TemplateTranslation(Model):
    """A template's text in one more language; readers of that language get it instead of ``body``."""

    __tablename__ = "documents_template_translations"
    __table_args__ = (UniqueConstraint("template_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("documents_templates.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX))
    body: Mapped[str] = mapped_column(Text)


class Document(Model):
    """Something published to customers: a file with versions, or a template made for each reader."""

    __tablename__ = "documents_documents"
    __table_args__ = (
        Index("ix_documents_documents_published_id", "published", "id"),
        # An API client's Idempotency-Key, unique per staff member who sent it (documents_0006).
        Index("ix_documents_documents_created_by_request_key", "created_by", "request_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX), default="")
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    # Who may see it: one customer, or a segment key ("all-customers", "organization:12", …).
    audience_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="CASCADE"), index=True
    )
    audience_key: Mapped[str | None] = mapped_column(String(AUDIENCE_MAX), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("documents_templates.id", ondelete="RESTRICT"))
    published: Mapped[bool] = mapped_column(default=False, server_default=false())
    published_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    translations: Mapped[dict[str, dict[str, str]] | None] = translations_column()
    request_key: Mapped[str | None] = mapped_column(String(REQUEST_KEY_MAX))


class Version(Model):
    """One uploaded file of a document; the highest id is the one customers get."""

    __tablename__ = "documents_versions"
    # Two uploads at once can never both be "version 3" (publishing.store_upload takes the number).
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents_documents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column()
    storage_key: Mapped[str] = mapped_column(String(512))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Download(Model):
    """Who downloaded which document, and when: the download log and the "unread" mark."""

    __tablename__ = "documents_downloads"
    __table_args__ = (Index("ix_documents_downloads_user_id_document_id", "user_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents_documents.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents_versions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notice(Model):
    """That a customer was told about a document, so a retried job tells nobody twice."""

    __tablename__ = "documents_notices"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents_documents.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
