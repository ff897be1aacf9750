"""What customers did, read from the events and accounts in a few set-based statements per batch.

The plugin imports no other plugin: it reads the names and fields of their declared events
(docs/events.md) from the portal's event store, and the core's accounts. One statement aggregates
every relevant event of a batch of customers (served by the ``(customer_id, id)`` index), one reads
their accounts and one their open complaints, whatever the size of their history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from portal.plugin import StoredEvent, User, db

from .models import Complaint
from .rules import Signals
from .settings import Thresholds

PURCHASE = "loyalty.purchase_recorded"
EARNED = "loyalty.points_earned"
TIER_CHANGED = "loyalty.tier_changed"
DOWNLOADED = "documents.downloaded"
RATED = "tickets.rated"


@dataclass(frozen=True)
class Gathered:
    """A customer's signals and the next moment time alone could change what the rules make of them."""

    signals: Signals
    review_at: datetime | None


def gather(
    customer_ids: Sequence[int], limits: Thresholds, now: datetime, grades: dict[int, str]
) -> dict[int, Gathered]:
    """The signals of each customer account among ``customer_ids`` (others are skipped)."""
    accounts = db.session.execute(
        select(User.id, User.created_at, User.email_verified_at, User.last_login_at).where(
            User.id.in_(customer_ids), User.role == "customer", User.is_integration.is_(False)
        )
    ).all()
    if not accounts:
        return {}
    ids = [row.id for row in accounts]
    events = _event_figures(ids, limits, now)
    complaints = _complaint_figures(ids, limits, now)
    gathered = {}
    for row in accounts:
        figures = events.get(row.id)
        overdue, next_due = complaints.get(row.id, (0, None))
        last_active = _latest(row.last_login_at, figures.last_own_event if figures else None)
        signals = Signals(
            joined_at=row.created_at,
            verified=row.email_verified_at is not None,
            last_active_at=last_active,
            overdue_complaints=overdue,
            grade=grades.get(row.id, "C"),
        )
        if figures is not None:
            signals = replace(
                signals,
                purchases=figures.purchases,
                value=figures.value,
                tier_ups=figures.tier_ups,
                documents_used=figures.documents_used,
                lowest_recent_rating=figures.lowest_rating,
            )
        gathered[row.id] = Gathered(signals, _review_at(signals, figures, next_due, limits, now))
    return gathered


@dataclass(frozen=True)
class _EventFigures:
    last_own_event: datetime | None
    purchases: int
    value: int
    tier_ups: int
    documents_used: int
    lowest_rating: int | None
    oldest_counted: datetime | None  # the earliest purchase, tier move or download in the window
    oldest_low_rating: datetime | None


def _event_figures(ids: list[int], limits: Thresholds, now: datetime) -> dict[int, _EventFigures]:
    """One GROUP BY over the batch's events: own activity, purchases, value, tiers, downloads, ratings."""
    window_start = now - timedelta(days=limits.window_days)
    rating_start = now - timedelta(days=limits.silence_days)
    in_window = StoredEvent.created_at >= window_start
    payload = StoredEvent.payload
    is_purchase = and_(StoredEvent.name == PURCHASE, in_window)
    is_earning = and_(StoredEvent.name == EARNED, in_window, payload["kind"].as_string() == "earned")
    is_raise = and_(StoredEvent.name == TIER_CHANGED, in_window, payload["raised"].as_boolean().is_(True))
    is_download = and_(StoredEvent.name == DOWNLOADED, in_window)
    is_low_rating = and_(
        StoredEvent.name == RATED,
        StoredEvent.created_at >= rating_start,
        payload["rating"].as_integer() <= limits.low_rating,
    )
    counted = is_purchase | is_raise | is_download
    rows = db.session.execute(
        select(
            StoredEvent.customer_id,
            func.max(case((StoredEvent.actor_id == StoredEvent.customer_id, StoredEvent.created_at))),
            func.count(case((is_purchase, 1))),
            func.coalesce(func.sum(case((is_earning, payload["points"].as_integer()))), 0),
            func.count(case((is_raise, 1))),
            func.count(case((is_download, 1))),
            func.min(case((is_low_rating, payload["rating"].as_integer()))),
            func.min(case((counted, StoredEvent.created_at))),
            func.min(case((is_low_rating, StoredEvent.created_at))),
        )
        .where(StoredEvent.customer_id.in_(ids), ~StoredEvent.name.startswith("insights."))
        .group_by(StoredEvent.customer_id)
    ).all()
    return {row[0]: _EventFigures(*row[1:]) for row in rows}


def _complaint_figures(
    ids: list[int], limits: Thresholds, now: datetime
) -> dict[int, tuple[int, datetime | None]]:
    """Per customer: complaints open past the target, and when the next open one reaches it."""
    deadline = now - timedelta(days=limits.complaint_target_days)
    rows = db.session.execute(
        select(
            Complaint.customer_id,
            func.count(case((Complaint.opened_at <= deadline, 1))),
            func.min(case((Complaint.opened_at > deadline, Complaint.opened_at))),
        )
        .where(Complaint.customer_id.in_(ids), Complaint.resolved_at.is_(None))
        .group_by(Complaint.customer_id)
    ).all()
    target = timedelta(days=limits.complaint_target_days)
    return {row[0]: (row[1], row[2] + target if row[2] is not None else None) for row in rows}


def _latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def _review_at(
    signals: Signals,
    figures: _EventFigures | None,
    next_complaint_due: datetime | None,
    limits: Thresholds,
    now: datetime,
) -> datetime | None:
    """The earliest future moment a time rule could change the outcome: the refresh looks again then."""
    window = timedelta(days=limits.window_days)
    silence = timedelta(days=limits.silence_days)
    moments = [
        (signals.last_active_at or signals.joined_at) + silence,
        signals.joined_at + timedelta(days=limits.commitment_days),
        next_complaint_due,
    ]
    if figures is not None:
        moments.append(figures.oldest_counted + window if figures.oldest_counted else None)
        moments.append(figures.oldest_low_rating + silence if figures.oldest_low_rating else None)
    future = [moment for moment in moments if moment is not None and moment > now]
    return min(future) if future else None
