"""Earning rules: which declared events pay points, how many, and how often per customer.

Administrators map any declared event (the core's, a bundled plugin's or a third party's) to points,
so a new plugin's events can earn without a change to loyalty. Loyalty's own events are never offered:
a rule on ``loyalty.points_earned`` would pay for its own payment, for ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.plugin import db, declared_events, event_label, utcnow

from .models import PERIODS, EarningRule, Entry
from .reasons import event_reason

OWN_NAMESPACE = "loyalty."
PERIOD_LABELS = {
    "day": _l("per day"),
    "week": _l("per week (from Monday)"),
    "month": _l("per calendar month"),
    "year": _l("per calendar year"),
}
CAP_MAX = 1000


@dataclass(frozen=True)
class EarnableEvent:
    """A declared event an administrator may pay for: its name, its owner and its label in words."""

    name: str
    owner: str
    label: str


def earnable_events() -> list[EarnableEvent]:
    """Every declared event except loyalty's own, by name: the only names a rule may use."""
    return [
        EarnableEvent(name=name, owner=declared.owner, label=event_label(declared.event_type))
        for name, declared in declared_events().by_name.items()
        if not name.startswith(OWN_NAMESPACE)
    ]


def earnable_event(name: str) -> EarnableEvent | None:
    """The declared event a rule may pay for under ``name``; ``None`` for unknown names and loyalty's own."""
    return next((event for event in earnable_events() if event.name == name), None)


def all_rules() -> list[EarningRule]:
    """Every rule, active first, then by event name, for the administrators' list."""
    return list(
        db.session.scalars(select(EarningRule).order_by(EarningRule.active.desc(), EarningRule.event_name))
    )


def rule_for_event(name: str) -> EarningRule | None:
    """The active rule paying for ``name``, if any: one lookup on the unique event name."""
    return db.session.scalar(select(EarningRule).where(EarningRule.event_name == name, EarningRule.active))


def rule_with_event(name: str) -> EarningRule | None:
    """The rule for ``name``, active or not, so a second rule for the same event is refused by name."""
    return db.session.scalar(select(EarningRule).where(EarningRule.event_name == name))


def reason_for(rule: EarningRule) -> str:
    """What the customer's history says the points were for: the administrator's text, else the event,
    kept as a key and named in each reader's language when shown (``reasons.reason_label``)."""
    return rule.reason or event_reason(rule.event_name)


def period_start(period: str, now: datetime) -> datetime:
    """The start of the calendar period (UTC) holding ``now``, for a cap per day, week, month or year."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown cap period {period!r}; expected one of {PERIODS}")


def awards_since(user_id: int, rule_id: int, since: datetime) -> int:
    """How many times ``rule_id`` paid this customer since ``since``: what a cap counts."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Entry)
            .where(Entry.user_id == user_id, Entry.rule_id == rule_id, Entry.created_at >= since)
        )
        or 0
    )


def cap_reached(rule: EarningRule, user_id: int, now: datetime | None = None) -> bool:
    """Whether this customer already had the most awards the rule allows in the current period.

    Call it only with the customer's account locked (``ledger.lock_account``), so two events at once
    cannot both see room for one more.
    """
    if rule.cap_count is None or rule.cap_period is None:
        return False
    since = period_start(rule.cap_period, now or utcnow())
    return awards_since(user_id, rule.id, since) >= rule.cap_count


def save_rule(
    rule: EarningRule,
    points: int,
    cap_count: int | None,
    cap_period: str | None,
    reason: str,
    active: bool,
) -> EarningRule:
    """Store the administrator's numbers; a cap needs both a count and a period, or neither is kept."""
    rule.points = points
    if cap_count and cap_period in PERIODS:
        rule.cap_count, rule.cap_period = cap_count, cap_period
    else:
        rule.cap_count, rule.cap_period = None, None
    rule.reason = reason.strip()
    rule.active = active
    rule.updated_at = utcnow()
    db.session.add(rule)
    return rule
