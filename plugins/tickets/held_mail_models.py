"""Mail to the support address from someone without an account, held until they sign up.

Kept by the sender's address (lower-cased). When an account confirms exactly that address, each held
mail becomes one of its tickets (``held_mail.release``); what nobody claims goes after 30 days.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, utcnow

from .models import FILENAME_MAX, SUBJECT_MAX, TOKEN_MAX

ADDRESS_MAX = 254
SENDER_NAME_MAX = 200


class HeldMail(Model):
    """One mail waiting for its sender to have a confirmed account, to become their ticket."""

    __tablename__ = "tickets_held_mail"
    __table_args__ = (
        # The same mail delivered twice (a retry, two MX paths) is held once.
        UniqueConstraint("address", "message_digest", name="uq_tickets_held_mail_address_message_digest"),
        Index("ix_tickets_held_mail_address_received_at", "address", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX))
    sender_name: Mapped[str] = mapped_column(String(SENDER_NAME_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    body: Mapped[str] = mapped_column(Text)
    # A digest of the Message-ID: the same mail received again is recognised without storing the header.
    message_digest: Mapped[str] = mapped_column(String(TOKEN_MAX))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class HeldFile(Model):
    """A file that came with a held mail, kept in the portal's storage until the mail is claimed or swept."""

    __tablename__ = "tickets_held_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_mail_id: Mapped[int] = mapped_column(
        ForeignKey("tickets_held_mail.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
