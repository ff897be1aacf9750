"""The loyalty API: a customer's points, their history and the catalogue; redeeming; recording purchases.

Every change goes through the functions the pages use (``rewards.redeem``, ``awards.record_purchase``),
so balances, lots, daily totals, tiers, events and the staff grant caps stay right. Idempotency is the
ledger's own: each entry's ``source`` is unique, so an ``Idempotency-Key`` becomes the source of the
entry it makes, and a retry (or a twin sent at the same moment) answers with what the first one made.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn, cast

import marshmallow as ma
from sqlalchemy import select

from portal.plugin import (
    ID_MAX,
    IDEMPOTENCY_PARAMETER,
    ApiBlueprint,
    LocalizedText,
    PageArguments,
    Text,
    User,
    UtcDateTime,
    api_abort,
    api_access,
    api_page,
    current_api_user,
    db,
    idempotency_key,
    page_of,
)

from . import awards, ledger, rewards, tiers, views
from .grants import GrantRefusedError
from .ledger import LedgerError
from .models import KINDS, Entry, Redemption, Reward
from .reasons import reason_label

# What the staff purchase form takes as a receipt or order number.
REFERENCE_MAX = 60
AMOUNT_MAX = 10_000_000  # what ledger.parse_amount allows

api = ApiBlueprint(
    "loyalty_api",
    __name__,
    url_prefix="/loyalty",
    description="Loyalty points: balances, history, rewards, redemptions and purchases.",
)


class Amount(ma.fields.Number[Decimal]):
    """A purchase amount sent as a JSON number, kept exact (19.99 stays 19.99), checked as the form does."""

    num_type = Decimal

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        try:
            return ledger.parse_amount(value)
        except LedgerError as error:
            raise ma.ValidationError(str(error)) from None


def _customer_id_field(**kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(validate=ma.validate.Range(1, ID_MAX), **kwargs)


STAFF_NAME_THE_CUSTOMER = (
    "Staff tokens must name the customer; a customer's token reads its own points (another id is a 404)."
)


class LoyaltyCustomerArguments(ma.Schema):
    customer_id = _customer_id_field(load_default=None, metadata={"description": STAFF_NAME_THE_CUSTOMER})


class LoyaltyEntryArguments(PageArguments):
    customer_id = _customer_id_field(load_default=None, metadata={"description": STAFF_NAME_THE_CUSTOMER})


class LoyaltyTierSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"enum": list(tiers.CODES)})
    name = ma.fields.String(required=True)
    threshold = ma.fields.Integer(
        required=True, metadata={"description": "Points earned in 12 months that reach this tier."}
    )
    multiplier = ma.fields.Float(
        required=True, metadata={"description": "Purchase points are multiplied by it."}
    )
    benefits = ma.fields.String(required=True)


class LoyaltyBalanceSchema(ma.Schema):
    customer_id = ma.fields.Integer(required=True)
    balance = ma.fields.Integer(required=True)
    tier = ma.fields.Nested(LoyaltyTierSchema, required=True)
    earned_last_year = ma.fields.Integer(
        required=True, metadata={"description": "Earned and goodwill points of the last 12 months."}
    )
    next_tier = ma.fields.Nested(
        LoyaltyTierSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Null in the highest tier."},
    )
    points_to_next_tier = ma.fields.Integer(required=True)
    progress_percent = ma.fields.Integer(required=True, validate=ma.validate.Range(0, 100))
    expiring_points = ma.fields.Integer(
        required=True, metadata={"description": "Points that expire soon (the customer page's warning)."}
    )
    expiring_first_at = UtcDateTime(
        required=True, allow_none=True, metadata={"description": "When the first of them expire."}
    )


class LoyaltyEntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    customer_id = ma.fields.Integer(required=True, attribute="user_id")
    kind = ma.fields.String(required=True, metadata={"enum": list(KINDS)})
    points = ma.fields.Integer(required=True, metadata={"description": "Positive gained, negative spent."})
    reason = ma.fields.String(
        required=True, metadata={"description": "As stored: the same in every language."}
    )
    description = ma.fields.Function(
        lambda entry: reason_label(entry.reason),
        required=True,
        metadata={"type": "string", "description": "The reason in the account's language."},
    )
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True, allow_none=True)


class LoyaltyRewardSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = LocalizedText(required=True)
    description = LocalizedText(required=True)
    cost = ma.fields.Integer(required=True)
    min_tier = ma.fields.String(required=True, metadata={"enum": list(tiers.CODES)})
    in_stock = ma.fields.Function(
        lambda reward: reward.stock > 0, required=True, metadata={"type": "boolean"}
    )
    per_customer_limit = ma.fields.Integer(
        required=True, metadata={"description": "Active vouchers one customer may hold; 0 means no limit."}
    )
    ends_at = UtcDateTime(required=True, allow_none=True)


class LoyaltyRedeemSchema(ma.Schema):
    reward_id = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, ID_MAX))


class LoyaltyRedemptionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    reward_id = ma.fields.Integer(required=True)
    points = ma.fields.Integer(required=True)
    voucher_code = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["active", "cancelled"]})
    created_at = UtcDateTime(required=True)
    cancelled_at = UtcDateTime(required=True, allow_none=True)


class LoyaltyPurchaseSchema(ma.Schema):
    customer_id = _customer_id_field(required=True, strict=True)
    amount = Amount(
        required=True,
        metadata={
            "description": "What the customer paid, with at most two decimals.",
            "exclusiveMinimum": 0,
            "maximum": AMOUNT_MAX,
        },
    )
    reference = Text(
        max_length=REFERENCE_MAX,
        min_length=0,
        load_default="",
        metadata={"description": "The receipt or order number: one receipt never earns twice."},
    )


EntryPage = page_of(LoyaltyEntrySchema, "LoyaltyEntryPageSchema")
RewardPage = page_of(LoyaltyRewardSchema, "LoyaltyRewardPageSchema")
REQUIRED_KEY = {**IDEMPOTENCY_PARAMETER, "required": True}


def _points_owner(customer_id: int | None) -> int:
    """The customer a read is about: a customer reads their own; staff name one, or get a 422."""
    user = current_api_user()
    if not user.is_staff:
        if customer_id not in (None, user.id):
            api_abort(404, "No customer with this id is yours to read.")
        return user.id
    if customer_id is None:
        api_abort(422, errors={"query": {"customer_id": ["Staff tokens must name the customer."]}})
    customer = db.session.get(User, customer_id)
    if customer is None or customer.role != "customer":
        api_abort(404, "No customer has this id.")
    return customer.id


@api.route("/balance")
@api.arguments(LoyaltyCustomerArguments, location="query")
@api.response(200, LoyaltyBalanceSchema)
@api_access("customer", "loyalty:read")
def balance(arguments: dict[str, Any]) -> Any:
    """The balance, tier, progress and points expiring soon, from what the customer's page shows."""
    customer_id = _points_owner(arguments["customer_id"])
    status = views.status_of(customer_id)
    progress = cast("dict[str, Any]", status["progress"])
    return {
        "customer_id": customer_id,
        "balance": status["balance"],
        "tier": status["tier"],
        "earned_last_year": status["earned"],
        "next_tier": progress["next"],
        "points_to_next_tier": progress["needed"],
        "progress_percent": progress["percent"],
        "expiring_points": status["expiring"],
        "expiring_first_at": status["expiring_on"],
    }


@api.route("/entries")
@api.arguments(LoyaltyEntryArguments, location="query")
@api.response(200, EntryPage)
@api_access("customer", "loyalty:read")
def entries(arguments: dict[str, Any]) -> Any:
    """The ledger history, newest first, as on the customer's page."""
    customer_id = _points_owner(arguments["customer_id"])
    query = select(Entry).where(Entry.user_id == customer_id)
    return api_page(query, [Entry.id], arguments, descending=True)


@api.route("/rewards")
@api.arguments(PageArguments, location="query")
@api.response(200, RewardPage)
@api_access("customer", "loyalty:read")
def catalogue(arguments: dict[str, Any]) -> Any:
    """The catalogue the rewards page lists, cheapest first; compare min_tier and cost with /balance."""
    return api_page(rewards.available_rewards_query(), [Reward.cost, Reward.id], arguments)


@api.route("/redemptions", methods=["POST"])
@api.arguments(LoyaltyRedeemSchema)
@api.response(201, LoyaltyRedemptionSchema)
@api.doc(parameters=[IDEMPOTENCY_PARAMETER])
@api_access("customer", "loyalty:write")
def redeem(fields: dict[str, Any]) -> Any:
    """Redeem a reward for a voucher; with an Idempotency-Key, a retry answers the same voucher.

    Not enough points, out of stock, a tier too low or the limit per customer reached: 409.
    """
    key = idempotency_key()
    user = current_api_user()
    if user.role != "customer":
        api_abort(403, "Only customers redeem rewards.")
    reward_id = fields["reward_id"]
    try:
        redemption = rewards.redeem(user.id, reward_id, key or views.new_key())
    except LedgerError as error:
        db.session.rollback()
        return _earlier_redemption(user.id, reward_id, key) or _refuse_redemption(reward_id, error)
    if redemption.reward_id != reward_id:  # the key's earlier redemption, answered by rewards.redeem
        api_abort(422, errors={"headers": {"Idempotency-Key": ["This key already redeemed another reward."]}})
    db.session.commit()
    return redemption


def _earlier_redemption(user_id: int, reward_id: int, key: str | None) -> Redemption | None:
    """What an earlier request with this key redeemed: its ledger entry has the source ``redeem`` writes."""
    if key is None:
        return None
    return db.session.scalar(
        select(Redemption)
        .join(Entry, Entry.source == f"redeem:{user_id}:{key}")
        .where(
            Redemption.user_id == user_id,
            Redemption.reward_id == reward_id,
            Redemption.voucher_code == Entry.reason,
        )
    )


def _refuse_redemption(reward_id: int, error: LedgerError) -> NoReturn:
    offered = db.session.scalar(rewards.available_rewards_query().where(Reward.id == reward_id))
    if offered is None:
        api_abort(422, errors={"json": {"reward_id": ["No reward in the catalogue has this id."]}})
    api_abort(409, str(error))


@api.route("/purchases", methods=["POST"])
@api.arguments(LoyaltyPurchaseSchema)
@api.response(201, LoyaltyEntrySchema)
@api.doc(parameters=[REQUIRED_KEY])
@api_access("agent", "loyalty:write")
def record_purchase(fields: dict[str, Any]) -> Any:
    """Record a customer's purchase: points as the staff form gives them, within the role's grant cap.

    The Idempotency-Key is required. With a ``reference``, the receipt is the purchase's identity, as on
    the staff form: recorded once, whichever key or form sends it again. Without one, the key is.
    Either way a repeat answers the entry the first request made, and credits nothing.
    """
    key = idempotency_key()
    if key is None:
        api_abort(
            422, errors={"headers": {"Idempotency-Key": ["Required: a purchase is recorded once per key."]}}
        )
    customer = _purchasing_customer(fields["customer_id"])
    source = _purchase_source(customer.id, fields["reference"], key)
    recorded = _recorded_purchase(customer.id, source)
    if recorded is not None:
        return recorded
    try:
        entry = awards.record_purchase(
            customer.id, fields["amount"], fields["reference"], current_api_user(), source
        )
    except GrantRefusedError as error:
        db.session.rollback()
        api_abort(403, str(error))
    except LedgerError as error:
        db.session.rollback()
        api_abort(422, errors={"json": {"amount": [str(error)]}})
    entry = entry or _recorded_purchase(customer.id, source)  # a twin request credited it meanwhile
    db.session.commit()
    return entry


def _purchasing_customer(customer_id: int) -> User:
    customer = db.session.get(User, customer_id)
    if customer is None or customer.role != "customer":
        api_abort(422, errors={"json": {"customer_id": ["No customer has this id."]}})
    return customer


def _purchase_source(customer_id: int, reference: str, key: str) -> str:
    """The ledger source: the receipt as the staff form keys it, else the key (keys are per customer)."""
    return f"purchase:{reference}" if reference else f"api-purchase:{customer_id}:{key}"


def _recorded_purchase(customer_id: int, source: str) -> Entry | None:
    """The entry already credited for ``source``; a receipt credited to another customer is a 409."""
    entry = db.session.scalar(select(Entry).where(Entry.source == source))
    if entry is not None and entry.user_id != customer_id:
        api_abort(409, "This reference was already recorded for another customer.")
    return entry
