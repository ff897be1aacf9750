"""The tiers: Bronze, Silver, Gold, Platinum, reached by points earned in a rolling 12 months."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from portal.plugin import get_setting, localized_setting

from . import totals

CODES = ("bronze", "silver", "gold", "platinum")
NAMES = {"bronze": _l("Bronze"), "silver": _l("Silver"), "gold": _l("Gold"), "platinum": _l("Platinum")}
# Credits that count toward a tier: what the customer earned, not points given back or adjusted.
QUALIFYING_KINDS = ("earned", "goodwill")


@dataclass(frozen=True)
class Tier:
    code: str
    name: object
    threshold: int
    multiplier: Decimal
    benefits: str


def all_tiers() -> list[Tier]:
    """The four tiers, lowest first, with the thresholds, multipliers and benefits an admin set."""
    tiers = [
        Tier("bronze", NAMES["bronze"], 0, Decimal(1), localized_setting("loyalty", "tier_bronze_benefits"))
    ]
    for code in CODES[1:]:
        tiers.append(
            Tier(
                code,
                NAMES[code],
                get_setting("loyalty", f"tier_{code}_threshold"),
                get_setting("loyalty", f"tier_{code}_multiplier"),
                localized_setting("loyalty", f"tier_{code}_benefits"),
            )
        )
    return tiers


def tier_by_code(code: str, among: list[Tier] | None = None) -> Tier:
    """The tier of ``code`` (the lowest for a code no longer known), from ``among`` if given.

    A page that shows several tiers reads them once (``all_tiers``) and passes them here: each read
    looks up a dozen settings.
    """
    tiers = among if among is not None else all_tiers()
    return next((tier for tier in tiers if tier.code == code), tiers[0])


def tier_rank(code: str) -> int:
    return CODES.index(code) if code in CODES else 0


def tier_for_points(points: int) -> Tier:
    """The highest tier whose threshold the points reach (thresholds may be set out of order)."""
    reached = [tier for tier in all_tiers() if points >= tier.threshold]
    return max(reached, key=lambda tier: tier_rank(tier.code))


def earned_last_year(user_id: int) -> int:
    """Points earned in the last 12 months, from the daily totals: the same cost for any history."""
    return totals.points_last_year(user_id, QUALIFYING_KINDS)


def progress(tier_code: str, earned: int, among: list[Tier] | None = None) -> dict[str, object]:
    """The next tier, the points still needed and the percentage for the progress bar.

    ``among`` is the tiers already read for the page, as for ``tier_by_code``.
    """
    tiers = among if among is not None else all_tiers()
    current = tier_by_code(tier_code, tiers)
    higher = sorted(
        (tier for tier in tiers if tier_rank(tier.code) > tier_rank(current.code)),
        key=lambda tier: tier.threshold,
    )
    if not higher:
        return {"next": None, "needed": 0, "percent": 100}
    nxt = higher[0]
    span = max(nxt.threshold - current.threshold, 1)
    percent = max(0, min(100, (earned - current.threshold) * 100 // span))
    return {"next": nxt, "needed": max(nxt.threshold - earned, 0), "percent": percent}
