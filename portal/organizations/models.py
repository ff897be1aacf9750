"""The organization tables: who belongs together, in what role, and who was invited to join."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.accounts.models import EMAIL_MAX, NAME_MAX
from portal.database import Model, utcnow

ORGANIZATION_NAME_MAX = 120


class Organization(Model):
    """A company or a household: the customers in it are consumers, its managers the buyers."""

    __tablename__ = "portal_organizations"
    __table_args__ = (CheckConstraint("kind IN ('company', 'household')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(ORGANIZATION_NAME_MAX), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Model):
    """One customer's place in one organization.

    The account is the primary key, so a customer belongs to at most one organization: the database
    refuses a second membership even when two invitations are accepted at the same moment.
    """

    __tablename__ = "portal_memberships"
    __table_args__ = (CheckConstraint("role IN ('manager', 'member')", name="role"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("portal_organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="member")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_manager(self) -> bool:
        """Managers see and act on what members share; members see their own."""
        return self.role == "manager"


class Invitation(Model):
    """An emailed invitation to join an organization; its link works once, until ``expires_at``."""

    __tablename__ = "portal_organization_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("portal_organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
