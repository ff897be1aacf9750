"""Deciding a request: approve (the kind's action runs) or decline, once, by an administrator who did not ask.

Each decision is one conditional UPDATE from ``pending``: of two administrators clicking at once, one
changes the row and the other is told the request was decided. The UPDATE holds the row until the
transaction ends (PostgreSQL makes a second decider wait, then re-checks; SQLite has one writer), so
the approved action runs once. Both decisions are audited and the requester is told.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update

from portal import audit
from portal.accounts.models import User
from portal.approvals.kinds import ApprovalKind, ApprovalRefusedError, find_kind, why_undecidable
from portal.approvals.models import APPROVED, DECLINED, NOTE_MAX, PENDING, Approval
from portal.approvals.requests import NOTICE_KIND, approvals_path, plain_description
from portal.database import db, rows_matched, utcnow
from portal.i18n import gettext_or_source as _
from portal.notifications.service import notify


def approve(approval: Approval, approver: User, note: str = "") -> None:
    """Approve a pending request: its kind's ``apply`` runs now, as ``approver``, in this transaction.

    Raises ``ApprovalRefusedError`` (the message is for the approver) when ``approver`` may not
    decide it, someone decided it already, its plugin is off, or ``apply`` refused; then the request
    is left pending and whatever ``apply`` had written is undone. The caller commits, or rolls back
    on the error.
    """
    kind = _decidable_kind(approval, approver)
    note = _checked_note(note)
    _claim(approval, APPROVED, approver, note)
    try:
        with db.session.begin_nested():
            kind.apply(dict(approval.payload), approver)
    except ApprovalRefusedError:
        _reopen(approval)
        raise
    audit.record("approval_approved", approver.id, approval_id=approval.id, approval_kind=approval.kind)
    _tell_requester(approval, kind, approver, approved=True)


def decline(approval: Approval, approver: User, note: str = "") -> None:
    """Decline a pending request: nothing of it is done, and the requester is told with the note.

    Refused (``ApprovalRefusedError``) as ``approve`` is: a requester's own request, a request decided
    already, a kind whose plugin is off. The caller commits.
    """
    kind = _decidable_kind(approval, approver)
    note = _checked_note(note)
    _claim(approval, DECLINED, approver, note)
    if kind.declined is not None:
        kind.declined(dict(approval.payload), approver)
    audit.record("approval_declined", approver.id, approval_id=approval.id, approval_kind=approval.kind)
    _tell_requester(approval, kind, approver, approved=False)


def undecidable_reason(approval: Approval, viewer: User) -> str | None:
    """Why ``viewer`` cannot decide this request now, or ``None`` when they can: for the page's buttons."""
    try:
        _decidable_kind(approval, viewer)
    except ApprovalRefusedError as refused:
        return str(refused)
    return None


def _decidable_kind(approval: Approval, approver: User) -> ApprovalKind:
    """Four eyes, an administrator's decision, once, of a kind on offer now; else the refusal says which."""
    if not approver.is_admin:
        raise ApprovalRefusedError(_("Only an administrator decides requests."))
    if approval.requested_by_id == approver.id:
        raise ApprovalRefusedError(_("You asked for this yourself, so another administrator decides it."))
    if approval.status != PENDING:
        raise ApprovalRefusedError(_("This request was decided already."))
    kind = find_kind(approval.kind)
    if kind is None:
        raise ApprovalRefusedError(why_undecidable(approval.kind))
    return kind


def _checked_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ApprovalRefusedError(_("A note has at most %(max)d characters.", max=NOTE_MAX))
    return note


def _claim(approval: Approval, status: str, approver: User, note: str) -> None:
    """Move the request from pending to ``status`` in one conditional UPDATE, or say it was decided."""
    claimed = rows_matched(
        update(Approval)
        .where(
            Approval.id == approval.id,
            Approval.status == PENDING,
            or_(Approval.requested_by_id.is_(None), Approval.requested_by_id != approver.id),
        )
        .values(status=status, decided_by_id=approver.id, decided_at=utcnow(), decision_note=note)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(approval)
    if not claimed:
        raise ApprovalRefusedError(_("Someone else decided this request a moment ago."))


def _reopen(approval: Approval) -> None:
    """Put a claimed request back to pending, as it was: its kind refused to apply it."""
    db.session.execute(
        update(Approval)
        .where(Approval.id == approval.id)
        .values(status=PENDING, decided_by_id=None, decided_at=None, decision_note="")
        .execution_options(synchronize_session=False)
    )
    db.session.expire(approval)


def _tell_requester(approval: Approval, kind: ApprovalKind, approver: User, approved: bool) -> None:
    """The requester learns the decision and the note, if they are still staff (not an integration)."""
    requester = approval.requested_by
    if requester is None or not requester.is_staff or requester.is_integration:
        return
    if approved:
        title = _l("Your request was approved: %(kind)s", kind=kind.label)
    else:
        title = _l("Your request was declined: %(kind)s", kind=kind.label)
    body = LazyString(_decision_text, approval, kind, approver)
    notify(requester, NOTICE_KIND, title, body, url=approvals_path())


def _decision_text(approval: Approval, kind: ApprovalKind, approver: User) -> str:
    """Evaluated in the requester's language, as ``notify`` renders the body for its recipient."""
    request = plain_description(kind, approval.payload)
    if not approval.decision_note:
        return _("%(request)s Decided by %(name)s.", request=request, name=approver.name)
    return _(
        "%(request)s Decided by %(name)s, who notes: %(note)s",
        request=request,
        name=approver.name,
        note=approval.decision_note,
    )
