"""The account table shared by customers and staff; a role says which they are."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String, false
from sqlalchemy.orm import Mapped, mapped_column, validates

from portal.database import Model, db, utcnow

NAME_MAX = 100
EMAIL_MAX = 254
STREET_MAX = 200
CITY_MAX = 100
POSTAL_CODE_MAX = 20
PHONE_MAX = 40


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Model):
    """A person who signs in (a customer, an agent or an administrator), or an integration acting as staff."""

    __tablename__ = "portal_users"
    __table_args__ = (
        CheckConstraint("role IN ('customer', 'agent', 'admin')", name="role"),
        # An id is never handed out twice, so nothing keyed by a deleted account reaches a new one.
        # PostgreSQL's sequences behave so already; SQLite needs AUTOINCREMENT (see core_0007).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer", index=True)
    language: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # "auto" (the language's usual calendar), "gregorian" or "persian": see portal.dates.CALENDAR_CHOICES.
    calendar: Mapped[str] = mapped_column(String(16), default="auto", server_default="auto")
    email_verified_at: Mapped[datetime | None] = mapped_column()
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # The postal address, all optional: documents made for the customer print it. The country is an
    # ISO 3166 code, named in the reader's language when printed.
    address_street: Mapped[str] = mapped_column(String(STREET_MAX), default="", server_default="")
    address_city: Mapped[str] = mapped_column(String(CITY_MAX), default="", server_default="")
    address_postal_code: Mapped[str] = mapped_column(String(POSTAL_CODE_MAX), default="", server_default="")
    address_country: Mapped[str] = mapped_column(String(2), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(PHONE_MAX), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_login_at: Mapped[datetime | None] = mapped_column()
    # An administrator's integration (portal/integrations): an account a business's other systems act
    # as through API tokens. Nobody signs in as it, it has no mailbox, and it is nobody to assign.
    is_integration: Mapped[bool] = mapped_column(default=False, server_default=false())

    @validates("email")
    def _keep_one_spelling(self, _key: str, email: str) -> str:
        """Every way an account is made or changed (sign-up, CLI, demo data, tests) stores the spelling
        that sign-in looks up; an address stored any other way could never sign in."""
        return normalise_email(email)

    def get_id(self) -> str:
        """Flask-Login keeps this in the session and remember cookie; rotating the token ends them."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_staff(self) -> bool:
        return self.role in ("agent", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def end_other_sessions(self) -> None:
        """Invalidate every session and remember cookie issued before now."""
        self.session_token = new_session_token()


def normalise_email(email: str) -> str:
    """One spelling per mailbox: surrounding space dropped, case folded."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()
