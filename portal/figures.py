"""Short histories for the staff dashboard's figures, added up in SQL by day or by week.

A figure's chart needs one number per day (or week) and must not load the rows behind it, so the
database groups them: one query per series, ``date(column)`` being the same on SQLite and PostgreSQL.
Days are UTC days, as the portal stores time; a day with nothing in it is filled with 0 here, so a
chart never skips a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from portal.database import db, utcnow

Series = list[tuple[date, float]]


def daily_totals(
    day_column: Any, *conditions: Any, days: int = 14, total: Any = None, now: datetime | None = None
) -> Series:
    """One number per day for the last ``days`` days up to today, oldest first.

    Counts the rows whose ``day_column`` falls on each day, or adds up ``total`` (a column or
    expression) over them; ``conditions`` narrow the rows (``Ticket.priority == "urgent"``).
    Give an indexed ``day_column``: the query reads only the days asked for.
    """
    today = (now or utcnow()).date()
    first = today - timedelta(days=days - 1)
    day = func.date(day_column)
    amount = func.count() if total is None else func.coalesce(func.sum(total), 0)
    rows = db.session.execute(
        select(day, amount)
        .where(
            day_column >= datetime.combine(first, time.min),
            day_column < datetime.combine(today + timedelta(days=1), time.min),
            *conditions,
        )
        .group_by(day)
    ).all()
    found = {_as_date(bucket): float(value or 0) for bucket, value in rows}
    return [(first + timedelta(days=n), found.get(first + timedelta(days=n), 0.0)) for n in range(days)]


@dataclass(frozen=True)
class PeriodTotals:
    """The last period day by day, with its total and the total of the period before it."""

    series: Series
    total: float
    previous: float


def period_totals(
    day_column: Any, *conditions: Any, days: int = 14, now: datetime | None = None
) -> PeriodTotals:
    """The last ``days`` days and the ``days`` before them, from one query: a figure and its comparison.

    A dashboard card shows how this period went against the one before; both halves come from the same
    ``daily_totals`` series, so the two numbers can never be counted differently.
    """
    both = daily_totals(day_column, *conditions, days=days * 2, now=now)
    earlier, recent = both[:days], both[days:]
    return PeriodTotals(
        series=recent,
        total=sum(value for _, value in recent),
        previous=sum(value for _, value in earlier),
    )


def weekly_totals(
    day_column: Any, *conditions: Any, weeks: int = 8, total: Any = None, now: datetime | None = None
) -> Series:
    """One number per 7-day week, the last one ending today, each keyed by its first day; oldest first.

    The same query as ``daily_totals`` (grouped by day in SQL), folded into weeks here: a week
    bucket that works alike on SQLite and PostgreSQL would need two dialects of SQL.
    """
    days = daily_totals(day_column, *conditions, days=weeks * 7, total=total, now=now)
    return [(days[n][0], sum(value for _, value in days[n : n + 7])) for n in range(0, len(days), 7)]


def _as_date(value: date | str) -> date:
    """SQLite answers ``date()`` with text, PostgreSQL with a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
