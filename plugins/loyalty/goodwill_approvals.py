"""Goodwill above an agent's limit: sent to an administrator as a request instead of being refused.

An agent who promised a customer more than their limit allows should not have to find an
administrator in the corridor: the grant waits as a ``loyalty.goodwill`` request with the reason the
agent gave. Approving credits the points through the one staff-credit path, as the administrator who
approved (their own limit applies), keyed on the agent's form so it can never credit twice.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import update

from portal.plugin import (
    ApprovalKind,
    ApprovalRefusedError,
    User,
    db,
    record_audit_event,
    request_approval,
    sentence,
    utcnow,
)
from portal.plugin import gettext_or_source as _

from . import awards, grants, ledger
from .ledger import LedgerError
from .models import GoodwillRequest

KIND = "loyalty.goodwill"


def goodwill_kind() -> ApprovalKind:
    """The kind the loyalty plugin declares through ``portal_approval_kinds``."""
    return ApprovalKind(
        name=KIND,
        label=_l("Goodwill points above an agent's limit"),
        describe=describe,
        apply=apply,
        declined=declined,
    )


def asks_for_approval(points: object, granter: User) -> bool:
    """Whether this grant goes to an administrator: an agent's goodwill above the agents' limit.

    An administrator above their own limit is refused as before: another administrator's limit is
    the same, so nobody could approve it.
    """
    return granter.role == "agent" and ledger.parse_points(points) > grants.grant_limit("agent")


def send_for_approval(
    customer_id: int,
    points: object,
    reason: str,
    requester: User,
    request_key: str,
    ticket_id: int | None = None,
) -> str:
    """Ask the administrators to approve this goodwill; the message to show the agent. The caller commits.

    ``request_key`` is the goodwill form's key, so a form sent twice asks once, and the credit, once
    approved, is keyed on it as a direct grant of that form would be. ``ticket_id`` (goodwill in a
    complaint's apology) travels in the payload, so the entry made on approval names the ticket too.
    """
    points = ledger.parse_points(points)
    reason = reason.strip()
    if not reason:
        raise LedgerError(_("Give a reason for the goodwill points."))
    source = f"goodwill:{request_key}"
    payload: dict[str, Any] = {
        "customer_id": customer_id,
        "points": points,
        "reason": reason,
        "source": source,
    }
    if ticket_id is not None:
        payload["ticket_id"] = ticket_id
    try:
        asked = request_approval(
            KIND, payload, requester, reason, customer_id=customer_id, request_key=source
        )
    except ApprovalRefusedError as refused:
        raise LedgerError(str(refused)) from refused
    if asked is None:
        return _("These goodwill points were already sent to an administrator for approval.")
    db.session.add(
        GoodwillRequest(
            source=source,
            user_id=customer_id,
            ticket_id=ticket_id,
            points=points,
            requested_by_id=requester.id,
        )
    )
    return _(
        "%(points)d points is above your limit of %(limit)d points, so the grant was sent to an "
        "administrator for approval. You will be told when it is decided.",
        points=points,
        limit=grants.grant_limit(requester.role),
    )


def give_goodwill(
    customer_id: int,
    points: object,
    reason: str,
    giver: User,
    request_key: str,
    ticket_id: int | None = None,
) -> str:
    """Grant goodwill within the giver's limit, or send an agent's larger grant for approval.

    The one path of both goodwill forms (the 360° page's and a ticket's apology); returns the message
    to show. Raises ``LedgerError`` when refused; the caller commits.
    """
    if asks_for_approval(points, giver):
        return send_for_approval(customer_id, points, reason, giver, request_key, ticket_id=ticket_id)
    entry = awards.grant_goodwill(
        customer_id, points, reason, giver, source=f"goodwill:{request_key}", ticket_id=ticket_id
    )
    if entry is None:
        return _("These goodwill points were already granted.")
    extra = {"ticket_id": ticket_id} if ticket_id is not None else {}
    record_audit_event(
        "loyalty.goodwill_granted",
        giver.id,
        user_id=customer_id,
        points=entry.points,
        reason=entry.reason,
        **extra,
    )
    return _("%(points)d goodwill points granted.", points=entry.points)


def describe(payload: dict[str, Any]) -> Markup:
    """The request in words: how many points, for whom, for which ticket, the reason the customer reads."""
    customer = db.session.get(User, payload.get("customer_id") or 0)
    ticket_id = payload_ticket(payload)
    if ticket_id is not None:
        return sentence(
            _(
                "%(points)s goodwill points for %(customer)s for ticket #%(ticket)s, "
                "with the reason: %(reason)s"
            ),
            points=int(payload.get("points", 0)),
            customer=customer.name if customer is not None else _("a deleted account"),
            ticket=ticket_id,
            reason=str(payload.get("reason", "")),
        )
    return sentence(
        _("%(points)s goodwill points for %(customer)s, with the reason: %(reason)s"),
        points=int(payload.get("points", 0)),
        customer=customer.name if customer is not None else _("a deleted account"),
        reason=str(payload.get("reason", "")),
    )


def apply(payload: dict[str, Any], approver: User) -> None:
    """Credit the points as ``approver``, within their limit; refuse with the ledger's message otherwise."""
    customer = db.session.get(User, payload.get("customer_id") or 0)
    if customer is None or customer.role != "customer":
        raise ApprovalRefusedError(_("The customer's account is gone, so there is nobody to grant to."))
    try:
        entry = awards.grant_goodwill(
            customer.id,
            payload["points"],
            payload["reason"],
            approver,
            source=payload["source"],
            ticket_id=payload_ticket(payload),
        )
    except LedgerError as error:
        raise ApprovalRefusedError(str(error)) from error
    if entry is not None:
        record_audit_event(
            "loyalty.goodwill_granted",
            approver.id,
            user_id=customer.id,
            points=entry.points,
            reason=entry.reason,
            approved_request=True,
        )


def declined(payload: dict[str, Any], decider: User) -> None:
    """An administrator said no: the ticket the goodwill was for stops showing it as waiting."""
    db.session.execute(
        update(GoodwillRequest)
        .where(
            GoodwillRequest.source == str(payload.get("source", "")), GoodwillRequest.declined_at.is_(None)
        )
        .values(declined_at=utcnow())
    )


def payload_ticket(payload: dict[str, Any]) -> int | None:
    """The ticket a request's goodwill is for; ``None`` for requests without one (and those before it)."""
    ticket_id = payload.get("ticket_id")
    return ticket_id if isinstance(ticket_id, int) and not isinstance(ticket_id, bool) else None
