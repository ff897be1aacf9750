"""The notification tables: one row per thing a person was told, and their email choice per kind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import Model, utcnow

KIND_MAX = 64
TITLE_MAX = 200
BODY_MAX = 2000
URL_MAX = 500


class Notification(Model):
    """Something that happened that one person should know about, with a link to where it happened."""

    __tablename__ = "portal_notifications"
    # (user_id, id) serves the newest-first list and its keyset pages, and the cascade from the
    # account; (user_id, read_at) serves the bell's unread count and "mark all as read".
    __table_args__ = (
        Index("ix_portal_notifications_user_newest", "user_id", "id"),
        Index("ix_portal_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(String(BODY_MAX), default="")
    url: Mapped[str | None] = mapped_column(String(URL_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()

    # One direction only: the account knows nothing of its notifications; the database's cascade
    # removes them with it.
    user: Mapped[User] = relationship()

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(Model):
    """A person's own choice of whether a kind of notification also comes by email.

    No row means they never chose, and the kind's declared default applies.
    """

    __tablename__ = "portal_notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(KIND_MAX), primary_key=True)
    email: Mapped[bool] = mapped_column()
