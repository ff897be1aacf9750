"""The audit trail of security events: who signed in, failed to, changed a password, a role, a plugin."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import Model, db, utcnow

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
    "integration_created",
    "api_token_created",
    "api_token_revoked",
    "api_token_refused",
    "api_request",
    "webhook_created",
    "webhook_changed",
    "webhook_secret_rotated",
    "webhook_disabled",
    "webhook_enabled",
    "webhook_deleted",
    "data_imported",
    "data_exported",
    "approval_requested",
    "approval_approved",
    "approval_declined",
)


class AuditEvent(Model):
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


# A plugin's kinds are "<plugin>.<event>", so they can never be mistaken for the core's.
PLUGIN_KIND = re.compile(r"^([a-z][a-z0-9_]{0,30})\.([a-z][a-z0-9_]{0,31})$")


def record(kind: str, actor_id: int | None = None, **detail: Any) -> AuditEvent:
    """Add an audit event to the current transaction; it is kept only if that transaction commits.

    The kind must be listed in SECURITY_EVENTS, so every kind recorded can be filtered on.
    """
    if kind not in SECURITY_EVENTS:
        raise ValueError(f"Unknown audit event kind {kind!r}: add it to SECURITY_EVENTS in portal/audit.py.")
    return _add(kind, actor_id, detail)


def record_audit_event(kind: str, actor_id: int | None, **detail: Any) -> AuditEvent:
    """Log something a plugin's staff did that an administrator must be able to check later.

    Who granted goodwill points, who published a document to whom: the plugin's own tables say what
    happened, the audit log answers "who, when, from where" beside the core's security events, with
    the same filters. ``kind`` is ``"<plugin>.<event>"`` naming an installed plugin; ``detail`` must
    be JSON (ids, amounts, short reasons; never a password or a document's content). Kept only if
    the caller's transaction commits.
    """
    from portal.plugin_manager import plugin_host  # the plugin host imports models that import this

    match = PLUGIN_KIND.match(kind)
    if match is None or match.group(1) not in plugin_host().installed:
        raise ValueError(
            f"Audit event kinds from plugins are '<plugin>.<event>' for an installed plugin, not {kind!r}."
        )
    return _add(kind, actor_id, detail)


def _add(kind: str, actor_id: int | None, detail: dict[str, Any]) -> AuditEvent:
    ip = request.remote_addr if has_request_context() else None
    event = AuditEvent(kind=kind, actor_id=actor_id, ip_address=ip, detail=detail)
    db.session.add(event)
    return event
