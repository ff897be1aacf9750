"""The events the loyalty plugin emits, declared as types; each is emitted with the customer as
``customer_id``. docs/events.md lists them.

The plugin listens to ``tickets.rated``, ``surveys.completed``, ``core.email_verified`` and
``core.registered`` (see awards.py), awarding the points an administrator set once per business fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.plugin import DomainEvent


@dataclass(frozen=True)
class PointsEarned(DomainEvent):
    """Points were credited to a customer: earned, goodwill, adjusted or given back (``kind``)."""

    name: ClassVar[str] = "loyalty.points_earned"
    user_id: int
    points: int
    kind: str
    entry_id: int

    @property
    def fact(self) -> str:
        return f"credited:{self.entry_id}"


@dataclass(frozen=True)
class RewardRedeemed(DomainEvent):
    """A customer exchanged points for a reward and got a voucher."""

    name: ClassVar[str] = "loyalty.reward_redeemed"
    user_id: int
    reward_id: int
    redemption_id: int
    points: int

    @property
    def fact(self) -> str:
        return f"redeemed:{self.redemption_id}"


@dataclass(frozen=True)
class RedemptionCancelled(DomainEvent):
    """A voucher was cancelled and its points came back to the customer."""

    name: ClassVar[str] = "loyalty.redemption_cancelled"
    user_id: int
    redemption_id: int
    points: int

    @property
    def fact(self) -> str:
        return f"cancelled:{self.redemption_id}"


@dataclass(frozen=True)
class PointsExpired(DomainEvent):
    """Points older than the expiry period left a customer's balance."""

    name: ClassVar[str] = "loyalty.points_expired"
    user_id: int
    points: int
    entry_id: int

    @property
    def fact(self) -> str:
        return f"expired:{self.entry_id}"


@dataclass(frozen=True)
class TierChanged(DomainEvent):
    """A customer moved up or down a tier (bronze, silver, gold, platinum)."""

    name: ClassVar[str] = "loyalty.tier_changed"
    user_id: int
    old_tier: str
    new_tier: str


EVENT_TYPES: list[type[DomainEvent]] = [
    PointsEarned,
    RewardRedeemed,
    RedemptionCancelled,
    PointsExpired,
    TierChanged,
]
