"""The audit trail of security events: who signed in, failed to, changed a password, a role, a plugin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import db, utcnow

SECURITY_EVENTS = (
    "registered",
    "email_verified",
    "login",
    "login_failed",
    "logout",
    "password_changed",
    "password_reset",
    "email_changed",
    "role_changed",
    "account_deleted",
    "plugin_enabled",
    "plugin_disabled",
    "setting_changed",
    "organization_created",
    "organization_member_added",
    "organization_member_removed",
    "organization_member_left",
    "organization_member_promoted",
    "organization_invitation_sent",
    "organization_invitation_revoked",
)


class AuditEvent(db.Model):
    """One security-relevant thing that happened, kept for administrators to review."""

    __tablename__ = "portal_audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL"), index=True
    )
    ip_address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(kind: str, actor_id: int | None = None, **detail: Any) -> AuditEvent:
    """Add an audit event to the current transaction; it is kept only if that transaction commits.

    The kind must be listed in SECURITY_EVENTS, so every kind recorded can be filtered on.
    """
    if kind not in SECURITY_EVENTS:
        raise ValueError(f"Unknown audit event kind {kind!r}: add it to SECURITY_EVENTS in portal/audit.py.")
    ip = request.remote_addr if has_request_context() else None
    event = AuditEvent(kind=kind, actor_id=actor_id, ip_address=ip, detail=detail)
    db.session.add(event)
    return event
