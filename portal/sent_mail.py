"""The mail the portal sent to an account, kept so staff can read it in the person's history.

``send_mail`` records each mail in the caller's transaction, so a mail is on record exactly when it
was queued: a rollback removes both. ``deliver_mail`` marks it delivered when the mail server (or the
instance folder) took it. Whether it was opened is not recorded: that would take a tracking pixel or
rewritten links in every mail, and the portal does not watch its customers read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, insert, literal, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.accounts.models import User, normalise_email
from portal.database import Model, db, utcnow

SUBJECT_MAX = 200
TEMPLATE_MAX = 100
MESSAGE_ID_MAX = 100
ELLIPSIS = "…"


class SentMail(Model):
    """One mail sent to one account: its subject and template, when it was queued and delivered."""

    __tablename__ = "portal_sent_mail"
    # (user_id, id) serves the person's history newest first, its keyset pages and the cascade from
    # the account; the unique message_id finds the row to mark delivered.
    __table_args__ = (Index("ix_portal_sent_mail_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID_MAX), unique=True)
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    template: Mapped[str] = mapped_column(String(TEMPLATE_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


def shortened(text: str, limit: int) -> str:
    """``text`` as it fits a column of ``limit`` characters, an ellipsis showing where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def record_sent(to_email: str, message_id: str, subject: str, template: str) -> None:
    """Record the mail if ``to_email`` is an account's address, in the caller's transaction.

    One INSERT … SELECT through the unique index on the address: no extra round trip, and a mail to
    an address without an account (a refused sender, an invitation) records nothing.
    """
    account = select(
        User.id,
        literal(message_id, String()),
        literal(shortened(subject, SUBJECT_MAX), String()),
        literal(shortened(template, TEMPLATE_MAX), String()),
        literal(utcnow(), DateTime()),
    ).where(User.email == normalise_email(to_email))
    columns = ["user_id", "message_id", "subject", "template", "created_at"]
    db.session.execute(insert(SentMail).from_select(columns, account))


def mark_delivered(message_id: str) -> None:
    """The mail server took the message: the first time it did is when it was delivered."""
    db.session.execute(
        update(SentMail)
        .where(SentMail.message_id == message_id, SentMail.delivered_at.is_(None))
        .values(delivered_at=utcnow())
    )
