"""The business dashboard's figures, each one set-based SQL aggregate over the chosen customers.

Stages, grades and risk come from the profiles; the funnel over time from the history of stage
changes; complaints from the complaints the refresh keeps; satisfaction, points and document reach
from the portal's stored events, read by name and field (docs/events.md), never from another
plugin's tables. Each figure is a fixed number of ``GROUP BY`` queries whatever the number of
customers or events, so the page costs the same for ten customers as for a hundred thousand.

The rows an event-based figure counts are a sub-query (``opened_complaints``, ``satisfaction_facts``,
``point_moves``, ``downloads``) and its predicates (``is_rating``, ``issued_points``…) are functions,
because the list of the customers behind the figure (dashboard_lists.py) reads the very same ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Subquery,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)

from portal.plugin import StoredEvent, User, db

from .dashboard_filters import Filters
from .dashboard_periods import Period, bucket, in_range
from .models import Complaint, Profile, StageChange
from .rules import GRADES, STAGES
from .signals import DOWNLOADED, EARNED, RATED

VALUABLE_GRADES = ("A", "B")
VALUABLE_ROWS = 20
COMPLETED = "surveys.completed"
REDEEMED, CANCELLED = "loyalty.reward_redeemed", "loyalty.redemption_cancelled"
EXPIRED, DEDUCTED = "loyalty.points_expired", "loyalty.points_deducted"
SECONDS_PER_DAY = 86400
SATISFIED, PROMOTER, DETRACTOR = 4, 9, 6  # a rating of 4 or more; NPS scores of 9 or more, of 6 or less


@dataclass(frozen=True)
class ProfileFigures:
    """Where the chosen customers stand now: by stage, by grade (count and value), and at risk."""

    stages: dict[str, int]
    grade_counts: dict[str, int]
    grade_values: dict[str, int]
    at_risk: int
    valuable_at_risk: int

    def value_share(self, grade: str) -> float | None:
        """The grade's share of all the value (0 to 1); None when nobody has any value."""
        total = sum(self.grade_values.values())
        return self.grade_values[grade] / total if total else None


@dataclass(frozen=True)
class ComplaintPeriod:
    """Complaints opened in a period, those resolved in it, and how long the resolved ones took (days)."""

    opened: int
    resolved: int
    median_days: float | None
    average_days: float | None


@dataclass(frozen=True)
class SatisfactionPeriod:
    """Ticket ratings (CSAT: the share of 4 and 5) and NPS answers (promoters less detractors) per period."""

    ratings: int
    satisfied: int
    nps_answers: int
    promoters: int
    detractors: int

    @property
    def csat(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None

    @property
    def nps(self) -> float | None:
        """From -100 to 100."""
        return (self.promoters - self.detractors) * 100 / self.nps_answers if self.nps_answers else None


@dataclass(frozen=True)
class PointsPeriod:
    """Points issued (credits but give-backs), redeemed (net of cancellations), expired and deducted."""

    issued: int
    redeemed: int
    expired: int
    deducted: int


@dataclass(frozen=True)
class ValuableCustomer:
    """A grade A or B customer at risk, for the list at the top of the dashboard."""

    customer_id: int
    name: str
    email: str
    grade: str
    value: int
    stage: str
    stage_overridden: bool
    reasons: list[dict[str, Any]]


def customer_count(filters: Filters) -> int:
    """The customer accounts among the chosen ones."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "customer", User.is_integration.is_(False), *filters.members(User.id))
        )
        or 0
    )


def profile_figures(filters: Filters) -> ProfileFigures:
    """One GROUP BY over the profiles by stage, grade and risk; every count of the page's top from it."""
    rows = db.session.execute(
        select(
            Profile.stage,
            Profile.grade,
            Profile.at_risk,
            func.count(),
            func.coalesce(func.sum(Profile.value), 0),
        )
        .where(*filters.members(Profile.customer_id))
        .group_by(Profile.stage, Profile.grade, Profile.at_risk)
    ).all()
    stages = dict.fromkeys(STAGES, 0)
    grade_counts = dict.fromkeys(GRADES, 0)
    grade_values = dict.fromkeys(GRADES, 0)
    at_risk = valuable = 0
    for stage, grade, flagged, count, value in rows:
        stages[stage] = stages.get(stage, 0) + count
        grade_counts[grade] = grade_counts.get(grade, 0) + count
        grade_values[grade] = grade_values.get(grade, 0) + int(value)
        if flagged:
            at_risk += count
            valuable += count if grade in VALUABLE_GRADES else 0
    return ProfileFigures(stages, grade_counts, grade_values, at_risk, valuable)


def valuable_at_risk(filters: Filters, limit: int = VALUABLE_ROWS) -> list[ValuableCustomer]:
    """The most valuable grade A and B customers at risk, in the at-risk list's order (value, then id)."""
    rows = db.session.execute(
        select(Profile, User.name, User.email)
        .join(User, User.id == Profile.customer_id)
        .where(
            Profile.at_risk.is_(True),
            Profile.grade.in_(VALUABLE_GRADES),
            *filters.members(Profile.customer_id),
        )
        .order_by(Profile.value.desc(), Profile.customer_id.desc())
        .limit(limit)
    ).all()
    return [
        ValuableCustomer(
            customer_id=profile.customer_id,
            name=name,
            email=email,
            grade=profile.grade,
            value=profile.value,
            stage=profile.stage,
            stage_overridden=profile.stage_overridden,
            reasons=list(profile.risk_reasons),
        )
        for profile, name, email in rows
    ]


def stages_over_time(filters: Filters, spans: Sequence[Period]) -> dict[str, list[int]]:
    """Customers per stage at the end of each period: each customer's last change on or before it.

    One query: each change holds from its moment until the customer's next one (``LEAD``), and is
    counted at every period end it covers.
    """
    order = (StageChange.created_at, StageChange.id)
    held = (
        select(
            StageChange.new_stage.label("stage"),
            StageChange.created_at.label("since"),
            func.lead(StageChange.created_at)
            .over(partition_by=StageChange.customer_id, order_by=order)
            .label("until"),
        )
        .where(*filters.members(StageChange.customer_id))
        .subquery()
    )
    ends = union_all(
        *(
            select(literal(index).label("k"), literal(span.end, DateTime()).label("at"))
            for index, span in enumerate(spans)
        )
    ).subquery()
    rows = db.session.execute(
        select(ends.c.k, held.c.stage, func.count())
        .select_from(ends)
        .join(held, and_(held.c.since <= ends.c.at, or_(held.c.until.is_(None), held.c.until > ends.c.at)))
        .group_by(ends.c.k, held.c.stage)
    ).all()
    series = {stage: [0] * len(spans) for stage in STAGES}
    for index, stage, count in rows:
        series.setdefault(stage, [0] * len(spans))[int(index)] = count
    return series


def _seconds(start: Any, end: Any) -> Any:
    """The seconds from ``start`` to ``end`` in SQL, as each database counts them."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * SECONDS_PER_DAY


def within(facts: Any, span: int | None) -> ColumnElement[bool]:
    """The rows of ``facts`` in period ``span`` (an index), or in any period when None: the whole range."""
    return facts.c.b == span if span is not None else facts.c.b.is_not(None)


def opened_complaints(filters: Filters, spans: list[Period]) -> Subquery:
    """The chosen customers' complaints opened in the range: their period ``b`` and ``customer``."""
    return (
        select(bucket(Complaint.opened_at, spans).label("b"), Complaint.customer_id.label("customer"))
        .where(in_range(Complaint.opened_at, spans), *filters.members(Complaint.customer_id))
        .subquery()
    )


def resolved_complaints(filters: Filters, spans: list[Period]) -> Subquery:
    """The chosen customers' complaints resolved in the range: period ``b``, ``customer``, seconds ``v``.

    A resolution counts in the period it happened in; its time is from opening to resolution.
    """
    return (
        select(
            bucket(Complaint.resolved_at, spans).label("b"),
            Complaint.customer_id.label("customer"),
            _seconds(Complaint.opened_at, Complaint.resolved_at).label("v"),
        )
        .where(in_range(Complaint.resolved_at, spans), *filters.members(Complaint.customer_id))
        .subquery()
    )


def complaints(filters: Filters, spans: list[Period]) -> tuple[list[ComplaintPeriod], ComplaintPeriod]:
    """Per period and over the whole range: complaints opened, resolved, and their time to resolution."""
    opened_in = opened_complaints(filters, spans)
    opened = dict(
        db.session.execute(select(opened_in.c.b, func.count()).group_by(opened_in.c.b)).tuples().all()
    )
    resolved_in = resolved_complaints(filters, spans)
    sums = {
        index: (count, total)
        for index, count, total in db.session.execute(
            select(resolved_in.c.b, func.count(), func.sum(resolved_in.c.v)).group_by(resolved_in.c.b)
        ).all()
    }
    medians = _medians(resolved_in.c.v, resolved_in.c.b)
    overall_median = _medians(resolved_in.c.v).get(0)
    rows = []
    for index in range(len(spans)):
        count, total = sums.get(index, (0, None))
        rows.append(
            ComplaintPeriod(
                opened=int(opened.get(index, 0)),
                resolved=int(count),
                median_days=_days(medians.get(index)),
                average_days=_days(float(total) / count) if count else None,
            )
        )
    resolved = sum(row.resolved for row in rows)
    seconds = sum(float(total or 0) for _count, total in sums.values())
    whole = ComplaintPeriod(
        opened=sum(row.opened for row in rows),
        resolved=resolved,
        median_days=_days(overall_median),
        average_days=_days(seconds / resolved) if resolved else None,
    )
    return rows, whole


def _medians(value: Any, group: Any = None) -> dict[int, float]:
    """The median of ``value`` per ``group`` (all rows as group 0 when None): the middle row, or the
    mean of the two middle rows, found with window functions so no value is loaded."""
    ranked = select(
        (group if group is not None else literal(0)).label("g"),
        value.label("v"),
        func.row_number().over(partition_by=group, order_by=value).label("n"),
        func.count().over(partition_by=group).label("total"),
    ).subquery()
    rows = db.session.execute(
        select(ranked.c.g, func.avg(ranked.c.v))
        .where(ranked.c.n.in_(((ranked.c.total + 1) / 2, (ranked.c.total + 2) / 2)))
        .group_by(ranked.c.g)
    ).all()
    return {int(group_value): float(median) for group_value, median in rows if group_value is not None}


def _days(seconds: float | None) -> float | None:
    return float(seconds) / SECONDS_PER_DAY if seconds is not None else None


def satisfaction_facts(filters: Filters, spans: list[Period]) -> Subquery:
    """Ticket ratings and survey completions in the range: period ``b``, ``customer``, ``name``,
    ``rating`` and NPS ``score``, for the ``is_…`` predicates below.

    Unfiltered, anonymous surveys' answers are here too (their ``customer`` is NULL); a filter keeps
    the answers of its customers, which anonymous answers never name.
    """
    payload = StoredEvent.payload
    return (
        select(
            bucket(StoredEvent.created_at, spans).label("b"),
            StoredEvent.customer_id.label("customer"),
            StoredEvent.name.label("name"),
            payload["rating"].as_integer().label("rating"),
            payload["nps_score"].as_integer().label("score"),
        )
        .where(
            StoredEvent.name.in_((RATED, COMPLETED)),
            in_range(StoredEvent.created_at, spans),
            *filters.members(StoredEvent.customer_id),
        )
        .subquery()
    )


def is_rating(facts: Subquery) -> ColumnElement[bool]:
    """A ticket's rating: what CSAT is a share of."""
    return and_(facts.c.name == RATED, facts.c.rating.is_not(None))


def is_satisfied(facts: Subquery) -> ColumnElement[bool]:
    """A rating of 4 or 5, which CSAT counts."""
    return and_(is_rating(facts), facts.c.rating >= SATISFIED)


def is_unhappy(facts: Subquery) -> ColumnElement[bool]:
    """A rating of 3 or less: every rating CSAT does not count."""
    return and_(is_rating(facts), facts.c.rating < SATISFIED)


def is_answer(facts: Subquery) -> ColumnElement[bool]:
    """An answer to the NPS question: what NPS is a share of."""
    return and_(facts.c.name == COMPLETED, facts.c.score.is_not(None))


def is_promoter(facts: Subquery) -> ColumnElement[bool]:
    return and_(is_answer(facts), facts.c.score >= PROMOTER)


def is_detractor(facts: Subquery) -> ColumnElement[bool]:
    return and_(is_answer(facts), facts.c.score <= DETRACTOR)


def satisfaction(filters: Filters, spans: list[Period]) -> list[SatisfactionPeriod]:
    """Ratings of tickets and NPS answers per period, from ``tickets.rated`` and ``surveys.completed``."""
    facts = satisfaction_facts(filters, spans)
    rows = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(
                facts.c.b,
                func.count(case((is_rating(facts), 1))),
                func.count(case((is_satisfied(facts), 1))),
                func.count(case((is_answer(facts), 1))),
                func.count(case((is_promoter(facts), 1))),
                func.count(case((is_detractor(facts), 1))),
            ).group_by(facts.c.b)
        ).all()
    }
    return [
        SatisfactionPeriod(*(int(n) for n in rows.get(index, (0, 0, 0, 0, 0)))) for index in range(len(spans))
    ]


def point_moves(filters: Filters, spans: list[Period]) -> Subquery:
    """Every one of loyalty's point events of the chosen customers who still have an account, over the
    whole history: period ``b`` (NULL outside the range), ``customer``, ``name``, ``points``, ``kind``.

    An erased customer's events name nobody, as their balance is gone.
    """
    payload = StoredEvent.payload
    return (
        select(
            bucket(StoredEvent.created_at, spans).label("b"),
            StoredEvent.customer_id.label("customer"),
            StoredEvent.name.label("name"),
            payload["points"].as_integer().label("points"),
            payload["kind"].as_string().label("kind"),
        )
        .where(
            StoredEvent.name.in_((EARNED, REDEEMED, CANCELLED, EXPIRED, DEDUCTED)),
            StoredEvent.customer_id.is_not(None),
            *filters.members(StoredEvent.customer_id),
        )
        .subquery()
    )


def _points_where(moves: Subquery, *conditions: Any) -> ColumnElement[int]:
    """The sum of the points of the moves meeting every condition; 0 when none does."""
    return type_coerce(
        func.coalesce(func.sum(case((and_(*conditions), moves.c.points), else_=0)), 0), BigInteger()
    )


def issued_points(moves: Subquery) -> ColumnElement[int]:
    """Points credited, give-backs of cancelled redemptions (kind ``reversed``) left out."""
    return _points_where(moves, moves.c.name == EARNED, func.coalesce(moves.c.kind, "") != "reversed")


def redeemed_points(moves: Subquery) -> ColumnElement[int]:
    """Points redeemed, net of the redemptions cancelled."""
    return _points_where(moves, moves.c.name == REDEEMED) - _points_where(moves, moves.c.name == CANCELLED)


def expired_points(moves: Subquery) -> ColumnElement[int]:
    return _points_where(moves, moves.c.name == EXPIRED)


def deducted_points(moves: Subquery) -> ColumnElement[int]:
    return _points_where(moves, moves.c.name == DEDUCTED)


def owed_points(moves: Subquery) -> ColumnElement[int]:
    """Every credit (give-backs included) less every redemption, expiry and deduction: the balance."""
    return (
        _points_where(moves, moves.c.name == EARNED)
        - _points_where(moves, moves.c.name == REDEEMED)
        - expired_points(moves)
        - deducted_points(moves)
    )


def points(filters: Filters, spans: list[Period]) -> tuple[list[PointsPeriod], int]:
    """Points moved per period, and the liability: every balance's points, from loyalty's events.

    The liability is the sum of ``owed_points`` over the whole history, which the tests check
    against the balances in loyalty's own tables. One GROUP BY over the whole history.
    """
    moves = point_moves(filters, spans)
    rows = db.session.execute(
        select(
            moves.c.b,
            issued_points(moves),
            redeemed_points(moves),
            expired_points(moves),
            deducted_points(moves),
            owed_points(moves),
        ).group_by(moves.c.b)
    ).all()
    found: dict[int, PointsPeriod] = {}
    liability = 0
    for index, issued, redeemed, expired, deducted, owed in rows:
        liability += int(owed)
        if index is not None:
            found[int(index)] = PointsPeriod(int(issued), int(redeemed), int(expired), int(deducted))
    empty = PointsPeriod(0, 0, 0, 0)
    return [found.get(index, empty) for index in range(len(spans))], liability


def downloads(filters: Filters, spans: list[Period]) -> Subquery:
    """The chosen customers' document downloads in the range: period ``b`` and ``customer``."""
    return (
        select(bucket(StoredEvent.created_at, spans).label("b"), StoredEvent.customer_id.label("customer"))
        .where(
            StoredEvent.name == DOWNLOADED,
            StoredEvent.customer_id.is_not(None),
            in_range(StoredEvent.created_at, spans),
            *filters.members(StoredEvent.customer_id),
        )
        .subquery()
    )


def document_reach(filters: Filters, spans: list[Period]) -> tuple[list[int], int]:
    """Customers who downloaded at least one document, per period and over the whole range."""
    fetched = downloads(filters, spans)
    distinct = func.count(fetched.c.customer.distinct())
    per_period = dict(db.session.execute(select(fetched.c.b, distinct).group_by(fetched.c.b)).tuples().all())
    whole = db.session.scalar(select(distinct))
    return [int(per_period.get(index, 0)) for index in range(len(spans))], int(whole or 0)
