"""Asking for an approval: the request is stored, audited, and every administrator but the asker is told."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.accounts.models import User
from portal.approvals.kinds import ApprovalKind, ApprovalRefusedError, find_kind
from portal.approvals.models import REASON_MAX, REQUEST_KEY_MAX, Approval
from portal.database import db
from portal.i18n import gettext_or_source as _
from portal.notifications.service import notify
from portal.urls import external_url

NOTICE_KIND = "core.approvals"


def request_approval(
    kind: str,
    payload: dict[str, Any],
    requester: User,
    reason: str,
    customer_id: int | None = None,
    request_key: str | None = None,
) -> Approval | None:
    """Store an action of ``kind`` for an administrator to approve; ``None`` if ``request_key`` asked before.

    ``payload`` is what the kind's ``apply`` will need (plain JSON), ``reason`` why the requester
    asks (shown to the administrators, at most ``REASON_MAX`` characters), ``customer_id`` the
    customer it concerns, linked from the request. ``request_key`` (the form's key) makes a form sent
    twice ask once. Audited as ``approval_requested``; every administrator other than the requester
    is notified. The caller commits. A blank or overlong reason raises ``ApprovalRefusedError`` with a
    message for the requester; an undeclared kind, a requester who is not staff or a payload that is
    not JSON raise ``ValueError``, a mistake of the calling code.
    """
    declared = find_kind(kind)
    if declared is None:
        raise ValueError(f"No enabled plugin declares the approval kind {kind!r} (portal_approval_kinds).")
    if not requester.is_staff:
        raise ValueError(
            f"Account {requester.id} is not staff: only agents and administrators ask for approval."
        )
    _check_payload(payload)
    if request_key is not None and not 0 < len(request_key) <= REQUEST_KEY_MAX:
        raise ValueError(f"A request key has 1 to {REQUEST_KEY_MAX} characters.")
    reason = reason.strip()
    if not reason:
        raise ApprovalRefusedError(_("Say why you ask, so the administrator can decide."))
    if len(reason) > REASON_MAX:
        raise ApprovalRefusedError(_("A reason has at most %(max)d characters.", max=REASON_MAX))
    if request_key is not None and _asked(request_key):
        return None
    approval = Approval(
        kind=kind,
        payload=payload,
        customer_id=customer_id,
        requested_by_id=requester.id,
        reason=reason,
        request_key=request_key,
    )
    try:
        with db.session.begin_nested():
            db.session.add(approval)
            db.session.flush()
    except IntegrityError:
        return None  # the same key, stored by a concurrent request
    audit.record(
        "approval_requested",
        requester.id,
        approval_id=approval.id,
        approval_kind=kind,
        customer_id=customer_id,
    )
    _tell_administrators(approval, declared, requester)
    return approval


def plain_description(kind: ApprovalKind, payload: dict[str, Any]) -> str:
    """The kind's description of a request as plain text, for a notification or an email."""
    described = kind.describe(payload)
    return described.striptags() if isinstance(described, Markup) else str(described)


def approvals_path() -> str:
    """The path of the approvals page, for notifications (which may be sent outside a request)."""
    return urlsplit(external_url("approvals.index")).path


def _check_payload(payload: dict[str, Any]) -> None:
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as error:
        raise ValueError(f"An approval's payload must be plain JSON: {error}") from None


def _asked(request_key: str) -> bool:
    return db.session.scalar(select(Approval.id).where(Approval.request_key == request_key)) is not None


def _tell_administrators(approval: Approval, kind: ApprovalKind, requester: User) -> None:
    """Every administrator who may decide (not the requester, never an integration) gets a notice."""
    deciders = db.session.scalars(
        select(User).where(User.role == "admin", User.is_integration.is_(False), User.id != requester.id)
    )
    for admin in deciders:
        notify(
            admin,
            NOTICE_KIND,
            _l("A request waits for your approval: %(kind)s", kind=kind.label),
            LazyString(_request_text, approval, kind, requester),
            url=approvals_path(),
        )


def _request_text(approval: Approval, kind: ApprovalKind, requester: User) -> str:
    """Evaluated in each administrator's language, as ``notify`` renders the body for its recipient."""
    return _(
        "%(request)s Asked by %(name)s: %(reason)s",
        request=plain_description(kind, approval.payload),
        name=requester.name,
        reason=approval.reason,
    )
