"""Points for purchases, goodwill, and events from other plugins (never imported: only their events)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from portal.plugin import Event, User, db, emit, get_setting
from portal.plugin import gettext_or_source as _

from . import earning_rules, grants, ledger, tiers
from .events import PurchaseRecorded
from .grants import Granter
from .ledger import LedgerError
from .models import Entry, Purchase


def award_source(event: Event) -> str:
    """The ledger source an award is keyed on: the business fact the event records, else the event.

    ``event:tickets.rated:rated:42`` is the same for every event announcing that ticket 42 was rated,
    so the same fact emitted twice (by a race, a bug or a replay) pays once.
    """
    if event.fact is None:
        return f"event:{event.id}"
    return f"event:{event.name}:{event.fact}"


def handle_event(event: Event) -> Entry | None:
    """Pay what the administrator's earning rule for this event says, once per fact, within the rule's cap.

    The points go to the customer the event is about (``event.customer_id``, which its owner sets:
    ``None`` for an anonymous survey answer, so nobody is paid), and only to customers. The cap is
    counted with the customer's account locked, so events handled at the same moment cannot together
    pay more than it allows.
    """
    if event.customer_id is None:
        return None
    rule = earning_rules.rule_for_event(event.name)
    if rule is None:
        return None
    user = db.session.get(User, event.customer_id)
    if user is None or user.role != "customer":
        return None
    source = award_source(event)
    if ledger.source_used(source):
        return None
    ledger.lock_account(user.id)
    if earning_rules.cap_reached(rule, user.id):
        return None
    return ledger.credit(
        user.id,
        rule.points,
        "earned",
        reason=earning_rules.reason_for(rule),
        actor_id=event.actor_id,
        source=source,
        rule_id=rule.id,
    )


def purchase_points(user_id: int, amount: Decimal) -> int:
    """Points for a purchase: amount × points per unit × the customer's tier multiplier, rounded down."""
    tier = tiers.tier_by_code(ledger.account(user_id).tier)
    points = (amount * get_setting("loyalty", "points_per_unit") * tier.multiplier).to_integral_value(
        ROUND_FLOOR
    )
    return int(points)


def record_purchase(
    user_id: int, amount: Decimal, reference: str, granter: Granter, source: str
) -> Entry | None:
    """Credit a purchase within the granter's cap; ``None`` when the source was already credited.

    ``source`` is the reference when there is one, else the form's request key, so a retried request
    credits once either way. The amount and the reference are kept beside the entry (``Purchase``).
    """
    points = purchase_points(user_id, amount)
    if points <= 0:
        raise LedgerError(_("This purchase earns no points."))
    reason = f"Purchase {reference}".strip() if reference else "Purchase"
    entry = grants.staff_credit(user_id, points, "earned", reason[:300], granter, source)
    if entry is not None:
        amount_cents = int(amount * 100)
        db.session.add(Purchase(entry_id=entry.id, amount_cents=amount_cents, reference=reference))
        emit(
            PurchaseRecorded(
                user_id=user_id,
                entry_id=entry.id,
                points=entry.points,
                amount_cents=amount_cents,
                reference=reference,
            ),
            customer_id=user_id,
            actor_id=granter.id,
        )
    return entry


def grant_goodwill(
    user_id: int,
    points: object,
    reason: str,
    granter: Granter,
    source: str,
    ticket_id: int | None = None,
) -> Entry | None:
    """Goodwill points from staff, with a reason, within the per-grant cap for their role.

    ``ticket_id`` is the ticket the goodwill was given for, kept on the entry.
    """
    if not reason.strip():
        raise LedgerError(_("Give a reason for the goodwill points."))
    return grants.staff_credit(
        user_id, points, "goodwill", reason.strip(), granter, source, ticket_id=ticket_id
    )
