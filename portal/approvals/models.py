"""What an approval keeps: the action asked for, who asked and why, and the decision once there is one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.database import Model, utcnow

KIND_MAX = 64
REASON_MAX = 500
NOTE_MAX = 500
REQUEST_KEY_MAX = 200

PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
STATUSES = (PENDING, APPROVED, DECLINED)


class Approval(Model):
    """One request for an administrator's decision: a kind (``<plugin>.<what>``) and its payload.

    The payload is what the kind's ``apply`` needs to act once approved, as plain JSON (ids, numbers,
    short texts), so a request still reads and applies after the code that made it changed.
    ``request_key`` is the requester's form key, unique, so a form sent twice asks once. A decision
    is one conditional UPDATE from ``pending``, so of two administrators clicking at once one decides.
    """

    __tablename__ = "portal_approvals"
    # (status, id) serves the pending list, oldest first; (decided_at, id) the decided list, newest
    # decision first; (requested_by_id, id) a requester's own list and the SET NULL from the account.
    __table_args__ = (
        Index("ix_portal_approvals_status_id", "status", "id"),
        Index("ix_portal_approvals_decided_at_id", "decided_at", "id"),
        Index("ix_portal_approvals_requested_by_id_id", "requested_by_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL"), index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    request_key: Mapped[str | None] = mapped_column(String(REQUEST_KEY_MAX), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # One direction only, loaded with the row for the lists: the accounts know nothing of approvals.
    customer: Mapped[User | None] = relationship(foreign_keys=[customer_id], lazy="joined")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING
