"""The events the loyalty plugin emits, declared as types; each is emitted with the customer as
``customer_id``. docs/events.md lists them.

The plugin listens to ``tickets.rated``, ``surveys.completed``, ``core.email_verified`` and
``core.registered`` (see awards.py), awarding the points an administrator set once per business fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask import url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import DomainEvent, sentence

from .tiers import NAMES as TIER_NAMES


class _PointsEvent(DomainEvent):
    """The events about a customer's points, which all link to the points panel of their 360° page."""

    user_id: int

    def link(self) -> str | None:
        return url_for("staff_customers.show", user_id=self.user_id, _anchor="panel-loyalty-points")


@dataclass(frozen=True)
class PointsEarned(_PointsEvent):
    """Points were credited to a customer: earned, goodwill, adjusted or given back (``kind``)."""

    name: ClassVar[str] = "loyalty.points_earned"
    label: ClassVar[LazyString] = _l("A customer earned points")
    user_id: int
    points: int
    kind: str
    entry_id: int

    @property
    def fact(self) -> str:
        return f"credited:{self.entry_id}"

    def describe(self) -> Markup:
        if self.kind == "goodwill":
            return sentence(_("Received %(points)s goodwill points."), points=self.points)
        if self.kind == "adjusted":
            return sentence(_("Points adjusted: %(points)s added."), points=self.points)
        if self.kind == "reversed":
            return sentence(_("Got %(points)s points back."), points=self.points)
        return sentence(_("Earned %(points)s points."), points=self.points)


@dataclass(frozen=True)
class RewardRedeemed(_PointsEvent):
    """A customer exchanged points for a reward and got a voucher."""

    name: ClassVar[str] = "loyalty.reward_redeemed"
    label: ClassVar[LazyString] = _l("A customer redeemed a reward")
    user_id: int
    reward_id: int
    redemption_id: int
    points: int

    @property
    def fact(self) -> str:
        return f"redeemed:{self.redemption_id}"

    def describe(self) -> Markup:
        return sentence(
            _("Redeemed a reward for %(points)s points (voucher #%(redemption)s)."),
            points=self.points,
            redemption=self.redemption_id,
        )


@dataclass(frozen=True)
class RedemptionCancelled(_PointsEvent):
    """A voucher was cancelled and its points came back to the customer."""

    name: ClassVar[str] = "loyalty.redemption_cancelled"
    label: ClassVar[LazyString] = _l("A reward redemption was cancelled")
    user_id: int
    redemption_id: int
    points: int

    @property
    def fact(self) -> str:
        return f"cancelled:{self.redemption_id}"

    def describe(self) -> Markup:
        return sentence(
            _("Voucher #%(redemption)s was cancelled and its %(points)s points came back."),
            redemption=self.redemption_id,
            points=self.points,
        )


@dataclass(frozen=True)
class PointsExpired(_PointsEvent):
    """Points older than the expiry period left a customer's balance."""

    name: ClassVar[str] = "loyalty.points_expired"
    label: ClassVar[LazyString] = _l("A customer's points expired")
    user_id: int
    points: int
    entry_id: int

    @property
    def fact(self) -> str:
        return f"expired:{self.entry_id}"

    def describe(self) -> Markup:
        return sentence(_("%(points)s points expired."), points=self.points)


@dataclass(frozen=True)
class PointsDeducted(_PointsEvent):
    """An administrator took points off a customer's balance (a correction, ``kind`` "adjusted").

    With ``loyalty.points_earned``, ``loyalty.reward_redeemed`` and ``loyalty.points_expired`` it
    accounts for every move of a balance, so others can follow the points owed from events alone.
    """

    name: ClassVar[str] = "loyalty.points_deducted"
    label: ClassVar[LazyString] = _l("Points were taken off a customer's balance")
    user_id: int
    points: int
    kind: str
    entry_id: int

    @property
    def fact(self) -> str:
        return f"deducted:{self.entry_id}"

    def describe(self) -> Markup:
        return sentence(_("Points adjusted: %(points)s taken off."), points=self.points)


@dataclass(frozen=True)
class TierChanged(_PointsEvent):
    """A customer moved up or down a tier (bronze, silver, gold, platinum)."""

    name: ClassVar[str] = "loyalty.tier_changed"
    label: ClassVar[LazyString] = _l("A customer's loyalty tier changed")
    user_id: int
    old_tier: str
    new_tier: str
    # Up (True) or down (False); None on moves stored before the field existed.
    raised: bool | None = None

    def describe(self) -> Markup:
        return sentence(
            _("Moved from the %(old)s tier to %(new)s."),
            old=TIER_NAMES.get(self.old_tier, self.old_tier),
            new=TIER_NAMES.get(self.new_tier, self.new_tier),
        )


@dataclass(frozen=True)
class PurchaseRecorded(_PointsEvent):
    """Staff, the API or an import recorded a customer's purchase, which earned ``points``.

    Emitted beside ``loyalty.points_earned`` so others can tell buying from other earning: the
    insights plugin counts purchases towards a customer's stage.
    """

    name: ClassVar[str] = "loyalty.purchase_recorded"
    label: ClassVar[LazyString] = _l("A customer's purchase was recorded")
    user_id: int
    entry_id: int
    points: int
    amount_cents: int
    reference: str

    @property
    def fact(self) -> str:
        return f"purchase:{self.entry_id}"

    def describe(self) -> Markup:
        if self.reference:
            return sentence(
                _("Bought (receipt %(reference)s), earning %(points)s points."),
                reference=self.reference,
                points=self.points,
            )
        return sentence(_("Bought, earning %(points)s points."), points=self.points)


EVENT_TYPES: list[type[DomainEvent]] = [
    PointsEarned,
    PurchaseRecorded,
    RewardRedeemed,
    RedemptionCancelled,
    PointsExpired,
    PointsDeducted,
    TierChanged,
]
