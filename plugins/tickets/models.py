"""The tickets plugin's tables: a ticket, and the messages of its conversation (replies and notes)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, translations_column, utcnow

MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"

SUBJECT_MAX = 200
BODY_MAX = 10000
COMMENT_MAX = 1000
CATEGORY_MAX = 40
TOKEN_MAX = 64

STATUSES = ("new", "open", "waiting", "resolved", "closed")
ACTIVE_STATUSES = ("new", "open", "waiting")
PRIORITIES = ("low", "normal", "high", "urgent")
# How a ticket reached us: the portal's form, an email to the support address, or staff opening it
# for a customer who phoned or came to the counter.
CHANNELS = ("web", "email", "phone", "counter")


class Ticket(Model):
    """A support request or complaint raised by (or for) one customer."""

    __tablename__ = "tickets_tickets"
    __table_args__ = (
        Index("ix_tickets_tickets_customer_id_id", "customer_id", "id"),
        Index("ix_tickets_tickets_status_id", "status", "id"),
        Index("ix_tickets_tickets_assignee_id_status", "assignee_id", "status"),
        Index("ix_tickets_tickets_customer_id_request_token", "customer_id", "request_token", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="new")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_due: Mapped[datetime] = mapped_column()
    resolution_due: Mapped[datetime] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None] = mapped_column()
    rating: Mapped[int | None] = mapped_column()
    rating_comment: Mapped[str | None] = mapped_column(String(COMMENT_MAX))
    rated_at: Mapped[datetime | None] = mapped_column(index=True)
    # The new-ticket form's one-time key: the same form sent twice (double click, retry) opens one ticket.
    request_token: Mapped[str | None] = mapped_column(String(TOKEN_MAX))
    channel: Mapped[str] = mapped_column(String(16), default="web", server_default="web")
    # The agent who opened the ticket for the customer (phone, counter); None when the customer did.
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    # Set when staff merged this ticket into another: its conversation lives there now (merging.py).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets_tickets.id", ondelete="SET NULL"))

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        """Past its first-response target without a staff reply, or past its resolution target."""
        if not self.is_active:
            return False
        if self.first_response_at is None and self.first_response_due < now:
            return True
        return self.resolution_due < now

    @property
    def next_due(self) -> datetime:
        return self.first_response_due if self.first_response_at is None else self.resolution_due


class Message(Model):
    """One entry of a ticket's conversation: a reply (customer or staff) or a staff-only internal note."""

    __tablename__ = "tickets_messages"
    __table_args__ = (
        UniqueConstraint("ticket_id", "request_token"),
        Index("ix_tickets_messages_ticket_id_id", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL"), index=True
    )
    from_staff: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Never shown to the customer: not on the page, in mail, export, notifications or search.
    internal: Mapped[bool] = mapped_column(default=False, server_default=false())
    body: Mapped[str] = mapped_column(Text)
    # The form's one-time token: a reply posted twice (double click, retry) is stored once.
    request_token: Mapped[str | None] = mapped_column(String(TOKEN_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


FILENAME_MAX = 200


class Attachment(Model):
    """A file sent with a message, kept in the portal's storage under a key of its own."""

    __tablename__ = "tickets_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("tickets_messages.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(300))
    # The name the sender gave the file: only ever shown escaped and used as the download name.
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


CANNED_TITLE_MAX = 100


class CannedReply(Model):
    """A ready answer staff can start a reply from."""

    __tablename__ = "tickets_canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(CANNED_TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    translations: Mapped[dict[str, dict[str, str]] | None] = translations_column()
    # A macro: what sending this canned reply also changes on the ticket (None: leave it as it is).
    set_status: Mapped[str | None] = mapped_column(String(16))
    set_priority: Mapped[str | None] = mapped_column(String(16))
    set_category: Mapped[str | None] = mapped_column(String(CATEGORY_MAX))
