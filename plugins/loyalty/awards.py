"""Points for purchases, goodwill, and events from other plugins (never imported: only their events)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from flask import has_request_context
from flask_babel import gettext

from portal.plugin import Event, User, db, get_setting

from . import ledger, tiers
from .ledger import LedgerError
from .models import Entry

# event name → (setting holding the points, reason stored on the entry)
EVENT_AWARDS = {
    "tickets.rated": ("points_ticket_rated", "Rated a support ticket"),
    "surveys.completed": ("points_survey_completed", "Completed a survey"),
    "core.email_verified": ("points_email_verified", "Verified an email address"),
    "core.registered": ("points_registered", "Joined the portal"),
}


def _(text: str, **values: object) -> str:
    """gettext inside a request; the source text outside one (CLI, ticks, event handlers)."""
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


def _customer_of(event: Event) -> int | None:
    payload = event.payload or {}
    if event.name == "surveys.completed":
        return payload.get("customer_id")  # absent for anonymous answers: nobody to award
    candidate = payload.get("customer_id") or event.customer_id or payload.get("user_id")
    return candidate if isinstance(candidate, int) else None


def handle_event(event: Event) -> Entry | None:
    """Award the points the administrator set for this event, once per event id."""
    award = EVENT_AWARDS.get(event.name)
    if award is None:
        return None
    points = get_setting("loyalty", award[0])
    user_id = _customer_of(event)
    if not points or not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.role != "customer":
        return None
    return ledger.credit(
        user_id, points, "earned", reason=award[1], actor_id=event.actor_id, source=f"event:{event.id}"
    )


def purchase_points(user_id: int, amount: Decimal) -> int:
    """Points for a purchase: amount × points per unit × the customer's tier multiplier, rounded down."""
    tier = tiers.tier_by_code(ledger.account(user_id).tier)
    points = (amount * get_setting("loyalty", "points_per_unit") * tier.multiplier).to_integral_value(
        ROUND_FLOOR
    )
    return int(points)


def record_purchase(
    user_id: int, amount: Decimal, reference: str, actor_id: int | None, source: str
) -> Entry | None:
    """Credit a purchase; ``None`` when the source (reference or request key) was already credited."""
    points = purchase_points(user_id, amount)
    if points <= 0:
        raise LedgerError(_("This purchase earns no points."))
    reason = f"Purchase {reference}".strip() if reference else "Purchase"
    return ledger.credit(user_id, points, "earned", reason=reason[:300], actor_id=actor_id, source=source)


def goodwill_limit(role: str) -> int:
    return get_setting("loyalty", "goodwill_limit_admin" if role == "admin" else "goodwill_limit_agent")


def grant_goodwill(user_id: int, points: object, reason: str, actor: User, source: str) -> Entry | None:
    """Goodwill points from staff, within the per-grant limit for their role."""
    points = ledger.parse_points(points)
    limit = goodwill_limit(actor.role)
    if points > limit:
        raise LedgerError(_("You may grant at most %(limit)d points at once.", limit=limit))
    if not reason.strip():
        raise LedgerError(_("Give a reason for the goodwill points."))
    return ledger.credit(user_id, points, "goodwill", reason=reason.strip(), actor_id=actor.id, source=source)
