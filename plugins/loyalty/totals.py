"""A customer's points over the last year, read from the daily totals so the cost does not grow with history.

The database keeps ``loyalty_daily_totals`` by UTC day (loyalty_0006). A reader's months and a rolling
year do not start at UTC midnight (1 Azar begins at 20:30 UTC in Tehran), so the days that hold such a
start are read entry by entry and every other day as its total: exact in every zone and calendar, and
at most a year of days plus a few days of entries, however long the customer's history.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    union,
)

from portal.plugin import db, month_start, reader_zone, utcnow

from .models import DailyTotal, Entry

YEAR = timedelta(days=365)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class MonthTotal:
    """Points gained and spent in one of the reader's months (``month``: its first day, Gregorian)."""

    month: date
    gained: int
    spent: int


def monthly_totals(user_id: int, now: datetime | None = None) -> list[MonthTotal]:
    """The reader's months from this month a year ago to this one that saw points move, oldest first."""
    now = now or utcnow()
    starts = _month_starts(month_start(now - YEAR), now)
    instants = [instant for _month, instant in starts]
    split_days = [instant.date() for instant in instants if instant.time() != time()]
    sums: dict[date, list[int]] = {}

    def add(at: datetime, gained: int, spent: int) -> None:
        if not (gained or spent):
            return  # a day emptied by a deletion or a correction is not a month with points
        month = starts[bisect_right(instants, at) - 1][0]
        bucket = sums.setdefault(month, [0, 0])
        bucket[0] += gained
        bucket[1] += spent

    whole_days = db.session.execute(
        _WHOLE_DAYS, {"user_id": user_id, "first_day": instants[0].date(), "split_days": split_days}
    )
    for day, gained, spent in whole_days:
        add(datetime.combine(day, time()), int(gained), int(spent))
    if split_days:
        entries = db.session.execute(
            select(Entry.created_at, Entry.points).where(
                Entry.user_id == user_id, Entry.created_at >= instants[0], _on_days(split_days)
            )
        )
        for created_at, points in entries:
            add(created_at, max(points, 0), max(-points, 0))
    return [MonthTotal(month, gained, spent) for month, (gained, spent) in sorted(sums.items())]


def net_points_since(user_id: int, since: datetime, kinds: Iterable[str]) -> int:
    """Points of ``kinds`` gained less spent since ``since``: whole days as totals, the first by entry."""
    first_day = since.date()
    found = db.session.scalar(
        _NET_SINCE,
        {
            "user_id": user_id,
            "kinds": list(kinds),
            "first_day": first_day,
            "since": since,
            "day_after": datetime.combine(first_day + DAY, time()),
        },
    )
    return int(found or 0)


def points_last_year(user_id: int, kinds: Iterable[str], now: datetime | None = None) -> int:
    """Points of ``kinds`` over the rolling last 365 days, as tiers count them."""
    return net_points_since(user_id, (now or utcnow()) - YEAR, kinds)


# The loyalty page's reads, built once with the customer and the dates as parameters: made afresh,
# a statement and its cache key cost more than running it (docs/performance.md).
_WHOLE_DAYS = (
    select(DailyTotal.day, func.sum(DailyTotal.gained), func.sum(DailyTotal.spent))
    .where(
        DailyTotal.user_id == bindparam("user_id"),
        DailyTotal.day >= bindparam("first_day"),
        DailyTotal.day.not_in(bindparam("split_days", expanding=True)),
    )
    .group_by(DailyTotal.day)
)
# The whole days after the first from their totals, and the first day entry by entry, in one statement.
_NET_SINCE = select(
    select(func.coalesce(func.sum(DailyTotal.gained - DailyTotal.spent), 0))
    .where(
        DailyTotal.user_id == bindparam("user_id"),
        DailyTotal.kind.in_(bindparam("kinds", expanding=True)),
        DailyTotal.day > bindparam("first_day"),
    )
    .scalar_subquery()
    + select(func.coalesce(func.sum(Entry.points), 0))
    .where(
        Entry.user_id == bindparam("user_id"),
        Entry.kind.in_(bindparam("kinds", expanding=True)),
        Entry.created_at >= bindparam("since"),
        Entry.created_at < bindparam("day_after"),
    )
    .scalar_subquery()
)


def differences() -> int:
    """How many (customer, day, kind) totals disagree with the ledger; 0 when they all agree."""
    expected = _totals_from_ledger()
    kept = select(
        DailyTotal.user_id, DailyTotal.day, DailyTotal.kind, DailyTotal.gained, DailyTotal.spent
    ).where(or_(DailyTotal.gained != 0, DailyTotal.spent != 0))
    missing = expected.except_(kept).subquery()
    extra = kept.except_(expected).subquery()
    keys = union(
        select(missing.c.user_id, missing.c.day, missing.c.kind),
        select(extra.c.user_id, extra.c.day, extra.c.kind),
    ).subquery()
    return int(db.session.scalar(select(func.count()).select_from(keys)) or 0)


def rebuild() -> None:
    """Replace every total with the sums of the ledger, in the caller's transaction."""
    db.session.execute(delete(DailyTotal))
    db.session.execute(
        insert(DailyTotal).from_select(["user_id", "day", "kind", "gained", "spent"], _totals_from_ledger())
    )


def _totals_from_ledger() -> Select[Any]:
    day = _utc_day(Entry.created_at)
    gained = func.sum(_positive(Entry.points))
    spent = func.sum(_positive(-Entry.points))
    return (
        select(Entry.user_id, day.label("day"), Entry.kind, gained.label("gained"), spent.label("spent"))
        .group_by(Entry.user_id, day, Entry.kind)
        .having(or_(gained != 0, spent != 0))
    )


def _utc_day(column: SQLColumnExpression[datetime]) -> ColumnElement[date]:
    """The UTC day of a stored timestamp, as the triggers compute it on each database."""
    if db.engine.dialect.name == "sqlite":
        return func.date(column, type_=Date)
    return cast(column, Date)


def _positive(value: SQLColumnExpression[int]) -> ColumnElement[int]:
    return func.max(value, 0) if db.engine.dialect.name == "sqlite" else func.greatest(value, 0)


def _month_starts(first: date, now: datetime) -> list[tuple[date, datetime]]:
    """Each of the reader's months from ``first`` to now, with the naive UTC instant it begins."""
    zone = reader_zone()
    starts: list[tuple[date, datetime]] = []
    month = first
    while True:
        begins = datetime.combine(month, time(), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
        if starts and begins > now:
            return starts
        starts.append((month, begins))
        # 32 days after a month's first day is always inside the next month, in either calendar.
        month = month_start(begins + timedelta(days=32))


def _on_days(days: list[date]) -> ColumnElement[bool]:
    return or_(
        *(
            and_(
                Entry.created_at >= datetime.combine(day, time()),
                Entry.created_at < datetime.combine(day + DAY, time()),
            )
            for day in days
        )
    )
