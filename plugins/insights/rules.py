"""The rules that place a customer in a stage of the relationship and flag the ones drifting away.

Dwyer, Schurr and Oh's stages (DOMAIN.md): awareness, exploration, expansion, commitment, and
dissolution, which here means "at risk of it": the time to act. The rules are plain functions of a
customer's ``Signals`` and the administrator's ``Thresholds``, so a test can build a history by hand
and the rules page can print them in words with the numbers in force.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from .settings import Thresholds

AWARENESS, EXPLORATION, EXPANSION, COMMITMENT, DISSOLUTION = (
    "awareness",
    "exploration",
    "expansion",
    "commitment",
    "dissolution",
)
STAGES = (AWARENESS, EXPLORATION, EXPANSION, COMMITMENT, DISSOLUTION)
STAGE_LABELS = {
    AWARENESS: _l("Awareness"),
    EXPLORATION: _l("Exploration"),
    EXPANSION: _l("Expansion"),
    COMMITMENT: _l("Commitment"),
    DISSOLUTION: _l("At risk"),
}
GRADES = ("A", "B", "C")


@dataclass(frozen=True)
class Signals:
    """What a customer did, as the rules read it; times are UTC, counts are within the window."""

    joined_at: datetime
    verified: bool
    last_active_at: datetime | None = None
    purchases: int = 0
    value: int = 0
    tier_ups: int = 0
    documents_used: int = 0
    overdue_complaints: int = 0
    lowest_recent_rating: int | None = None
    grade: str = "C"

    def as_json(self) -> dict[str, Any]:
        """The signals for the profile's JSON column (times as ISO 8601)."""
        data = asdict(self)
        for key in ("joined_at", "last_active_at"):
            data[key] = data[key].isoformat() if data[key] is not None else None
        return data


@dataclass(frozen=True)
class Assessment:
    """Where the rules place a customer, and the reasons they are at risk (empty when they are not)."""

    stage: str
    reasons: list[dict[str, Any]]


def risk_reasons(signals: Signals, limits: Thresholds, now: datetime) -> list[dict[str, Any]]:
    """Each sign of a relationship ending, with the numbers its sentence needs."""
    reasons: list[dict[str, Any]] = []
    silence = timedelta(days=limits.silence_days)
    if signals.last_active_at is not None and now - signals.last_active_at >= silence:
        reasons.append({"code": "silent", "days": (now - signals.last_active_at).days})
    elif signals.last_active_at is None and now - signals.joined_at >= silence:
        reasons.append({"code": "never_returned", "days": (now - signals.joined_at).days})
    if signals.overdue_complaints >= limits.overdue_complaints:
        reasons.append(
            {
                "code": "complaints_overdue",
                "count": signals.overdue_complaints,
                "days": limits.complaint_target_days,
            }
        )
    if signals.lowest_recent_rating is not None and signals.lowest_recent_rating <= limits.low_rating:
        reasons.append({"code": "low_rating", "rating": signals.lowest_recent_rating})
    return reasons


def assess(signals: Signals, limits: Thresholds, now: datetime) -> Assessment:
    """The customer's stage: at risk first (it asks for action), then the furthest stage they reached."""
    reasons = risk_reasons(signals, limits, now)
    if reasons:
        return Assessment(DISSOLUTION, reasons)
    tenure = now - signals.joined_at
    repeated = signals.purchases >= limits.expansion_purchases
    if repeated and signals.grade in ("A", "B") and tenure >= timedelta(days=limits.commitment_days):
        return Assessment(COMMITMENT, [])
    if repeated or signals.tier_ups > 0 or signals.documents_used >= limits.expansion_purchases:
        return Assessment(EXPANSION, [])
    if signals.verified and (signals.last_active_at is not None or signals.purchases or signals.value):
        return Assessment(EXPLORATION, [])
    return Assessment(AWARENESS, [])


def describe_reason(reason: dict[str, Any]) -> str:
    """A reason in words for staff, such as "no visit for 120 days"."""
    code = reason.get("code")
    if code == "silent":
        return ngettext("no visit for %(num)d day", "no visit for %(num)d days", int(reason["days"]))
    if code == "never_returned":
        return ngettext(
            "has not come back in the %(num)d day since signing up",
            "has not come back in the %(num)d days since signing up",
            int(reason["days"]),
        )
    if code == "complaints_overdue":
        return ngettext(
            "%(num)d complaint unresolved past its target of %(days)d days",
            "%(num)d complaints unresolved past their target of %(days)d days",
            int(reason["count"]),
            days=int(reason["days"]),
        )
    if code == "low_rating":
        return _("rated a ticket %(rating)d of 5", rating=int(reason["rating"]))
    return str(code)


def rules_in_words(limits: Thresholds) -> list[tuple[Any, str]]:
    """Each stage with the rule that leads there, in the order they are tried, for the rules page."""
    return [
        (
            STAGE_LABELS[DISSOLUTION],
            _(
                "Any of: no visit for %(silence)d days; %(complaints)d or more complaints unresolved "
                "after %(target)d days; a ticket rated %(rating)d of 5 or lower within %(silence)d days.",
                silence=limits.silence_days,
                complaints=limits.overdue_complaints,
                target=limits.complaint_target_days,
                rating=limits.low_rating,
            ),
        ),
        (
            STAGE_LABELS[COMMITMENT],
            _(
                "A customer for %(days)d days or more, grade A or B, with %(purchases)d or more purchases "
                "in the last %(window)d days.",
                days=limits.commitment_days,
                purchases=limits.expansion_purchases,
                window=limits.window_days,
            ),
        ),
        (
            STAGE_LABELS[EXPANSION],
            _(
                "%(purchases)d or more purchases in the last %(window)d days, a move up a loyalty tier, or "
                "%(purchases)d or more documents downloaded.",
                purchases=limits.expansion_purchases,
                window=limits.window_days,
            ),
        ),
        (
            STAGE_LABELS[EXPLORATION],
            _("A confirmed address and at least one visit, purchase or point earned."),
        ),
        (STAGE_LABELS[AWARENESS], _("Everyone else: signed up, not yet seen.")),
    ]
