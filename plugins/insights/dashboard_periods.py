"""The dashboard's periods: the last 12 weeks or the last 12 months, and a SQL bucket for each.

Every trend on the dashboard is one ``GROUP BY`` over the rows of the whole range, grouped by a
``CASE`` that names the period a moment falls in: the same SQL on SQLite and PostgreSQL, one query
whatever the number of periods. Periods are UTC, as the portal stores time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, case, literal, null

WEEKS, MONTHS = "weeks", "months"
PERIOD_CHOICES = {WEEKS: _l("The last 12 weeks"), MONTHS: _l("The last 12 months")}
COUNT = 12


@dataclass(frozen=True)
class Period:
    """One period: from ``start`` (included) to ``end`` (excluded; the last one ends now)."""

    start: datetime
    end: datetime

    @property
    def first_day(self) -> date:
        """The day the period starts, which names it in tables and charts."""
        return self.start.date()


def periods(kind: str, now: datetime) -> list[Period]:
    """The ``COUNT`` periods of ``kind`` up to ``now``, oldest first: 7-day weeks, or calendar months."""
    if kind == MONTHS:
        starts = [_month_start(now, back) for back in range(COUNT - 1, -1, -1)]
        ends = [*starts[1:], now]
        return [Period(start, end) for start, end in zip(starts, ends, strict=True)]
    return [
        Period(now - timedelta(days=7 * (n + 1)), now - timedelta(days=7 * n))
        for n in range(COUNT - 1, -1, -1)
    ]


def _month_start(now: datetime, back: int) -> datetime:
    """Midnight on the first day of the month ``back`` months before ``now``'s."""
    months = now.year * 12 + now.month - 1 - back
    return datetime.combine(date(months // 12, months % 12 + 1, 1), time.min)


def bucket(column: Any, spans: list[Period]) -> Any:
    """The index of the period ``column`` falls in (0 the oldest), NULL outside them all: a SQL CASE."""
    before = (column < literal(spans[0].start, DateTime()), null())
    return case(
        before,
        *((column < literal(span.end, DateTime()), index) for index, span in enumerate(spans)),
        else_=null(),
    )


def in_range(column: Any, spans: list[Period]) -> Any:
    """``column`` within the periods, for the WHERE that keeps a trend's query to its range."""
    return (column >= literal(spans[0].start, DateTime())) & (column < literal(spans[-1].end, DateTime()))
