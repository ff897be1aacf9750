"""The record of every mail the portal received: accepted or refused, and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import Model, utcnow

ADDRESS_MAX = 320
SUBJECT_MAX = 200
MESSAGE_ID_MAX = 250
REASON_MAX = 300
NAME_MAX = 40
STORAGE_KEY_MAX = 200
STATUSES = ("accepted", "refused")


class InboundMailRecord(Model):
    """One mail that reached the portal, whether a plugin took it or a check refused it.

    A refused mail keeps its raw message in the storage (``storage_key``) so staff can read what was
    sent; ``reason`` is the source text of a translation, shown in the reader's language.
    """

    __tablename__ = "portal_inbound_mail"
    # (status, id) serves the staff list filtered by status, newest first; (sender, received_at)
    # the count of one sender's recent mails (the loop check); received_at the 30-day sweep.
    __table_args__ = (
        CheckConstraint("status IN ('accepted', 'refused')", name="status"),
        Index("ix_portal_inbound_mail_status_newest", "status", "id"),
        Index("ix_portal_inbound_mail_sender_recent", "sender", "received_at"),
        Index("ix_portal_inbound_mail_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    sender: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    recipient: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX), default="")
    size: Mapped[int] = mapped_column(default=0)
    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID_MAX), default="")
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    handler: Mapped[str | None] = mapped_column(String(NAME_MAX))
    thread: Mapped[str | None] = mapped_column(String(NAME_MAX))
    storage_key: Mapped[str | None] = mapped_column(String(STORAGE_KEY_MAX))
