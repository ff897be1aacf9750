"""The tickets plugin's numbers on the staff dashboard, each linking to the queue filtered to them."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.plugin import Figure, db, period_totals, utcnow

from . import service
from .models import ACTIVE_STATUSES, Ticket

DAYS = 14
RECENT_DAYS = 30
ANSWERED_SAMPLE = 1000


def staff_figures() -> list[Figure]:
    """Open, unassigned and overdue tickets, new tickets per day, first response and rating."""
    now = utcnow()
    open_count, unassigned, overdue = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Ticket.assignee_id.is_(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((service.overdue_clause(now), 1), else_=0)), 0),
        ).where(Ticket.status.in_(ACTIVE_STATUSES))
    ).one()
    period = period_totals(Ticket.created_at, days=DAYS, now=now)
    queue = "tickets_staff.queue"
    return [
        Figure(
            name="tickets.open", label=_l("Open tickets"), value=open_count, href=url_for(queue), order=10
        ),
        Figure(
            name="tickets.unassigned",
            label=_l("Waiting for an agent"),
            value=unassigned,
            href=url_for(queue, assignee="none"),
            order=11,
        ),
        Figure(
            name="tickets.overdue",
            label=_l("Past their response target"),
            value=overdue,
            href=url_for(queue, overdue="1"),
            order=12,
        ),
        Figure(
            name="tickets.new",
            label=_l("New tickets, last 14 days"),
            value=period.total,
            previous=period.previous,
            series=period.series,
            series_label=_l("New tickets per day, last 14 days"),
            href=url_for(queue, status="all"),
            order=13,
        ),
        Figure(
            name="tickets.first_response",
            label=_l("Median first response, last 30 days"),
            value=median_first_response_hours(now),
            format="decimal",
            unit=_l("%(value)s hours"),
            href=url_for(queue, status="all"),
            order=14,
        ),
        Figure(
            name="tickets.rating",
            label=_l("Average rating, last 30 days"),
            value=average_rating(now),
            format="decimal",
            unit=_l("%(value)s / 5"),
            href=url_for(queue, status="all"),
            order=15,
        ),
    ]


def median_first_response_hours(now: datetime) -> float | None:
    """Hours from opening to the first staff reply, the middle of the last 30 days' tickets."""
    since = now - timedelta(days=RECENT_DAYS)
    answered = db.session.execute(
        select(Ticket.created_at, Ticket.first_response_at)
        .where(Ticket.created_at >= since, Ticket.first_response_at.is_not(None))
        .order_by(Ticket.id.desc())
        .limit(ANSWERED_SAMPLE)
    ).all()
    waits = sorted((row.first_response_at - row.created_at).total_seconds() / 3600 for row in answered)
    if not waits:
        return None
    middle = len(waits) // 2
    return waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2


def average_rating(now: datetime) -> float | None:
    """The mean rating given in the last 30 days, of tickets staff answered (the rule a rating passes)."""
    since = now - timedelta(days=RECENT_DAYS)
    rating = db.session.scalar(
        select(func.avg(Ticket.rating)).where(Ticket.rated_at >= since, service.staff_answered())
    )
    return float(rating) if rating is not None else None
