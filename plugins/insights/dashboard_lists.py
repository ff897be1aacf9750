"""The customers behind each event-based figure of the dashboard, as one set-based sub-select of ids.

Each list reads the very sub-query its figure counts (dashboard_figures.py) with the same predicate,
kept to one period or the whole range, so the list and the figure cannot disagree: a figure of
customers (document reach) has exactly as many as its list; a figure of events or points (ratings,
points issued) lists the customers those events name. Anonymous survey answers name nobody and so
are never listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Row, Select, Subquery, func, null, select
from sqlalchemy.orm import InstrumentedAttribute

from portal.plugin import User

from . import dashboard_figures as figures
from .dashboard_filters import Filters
from .dashboard_periods import COUNT, Period
from .models import Profile

WHOLE = "whole"
SPAN_CHOICES = (WHOLE, *(str(index) for index in range(COUNT)))


class Figure(StrEnum):
    """The event-based figures whose customers can be listed, as they are named in links."""

    OPENED = "complaints-opened"
    RESOLVED = "complaints-resolved"
    RATED = "rated"
    UNHAPPY = "rated-unhappy"
    ANSWERED = "nps-answered"
    DETRACTORS = "nps-detractors"
    ISSUED = "points-issued"
    REDEEMED = "points-redeemed"
    OWED = "points-owed"
    DOWNLOADED = "downloaded"


LABELS = {
    Figure.OPENED: _l("Customers who opened a complaint"),
    Figure.RESOLVED: _l("Customers whose complaint was resolved"),
    Figure.RATED: _l("Customers who rated a ticket"),
    Figure.UNHAPPY: _l("Customers who rated a ticket 3 or less"),
    Figure.ANSWERED: _l("Customers who answered the NPS question"),
    Figure.DETRACTORS: _l("Detractors: customers who answered the NPS question 0 to 6"),
    Figure.ISSUED: _l("Customers issued points"),
    Figure.REDEEMED: _l("Customers who redeemed points (net of cancellations)"),
    Figure.OWED: _l("Customers owed points now, the largest balance first"),
    Figure.DOWNLOADED: _l("Customers who downloaded a document"),
}
# Figures of something owed now rather than of events in a period.
TIMELESS = frozenset({Figure.OWED})
# Figures whose events may be anonymous, which the list says it leaves out.
MAY_BE_ANONYMOUS = frozenset({Figure.ANSWERED, Figure.DETRACTORS})

# The customer ids behind a figure, for the filters, the periods and a period's index (None: all).
Behind = Callable[[Filters, list[Period], int | None], Select[Any]]


def _opened(filters: Filters, spans: list[Period], span: int | None) -> Select[tuple[int]]:
    rows = figures.opened_complaints(filters, spans)
    return select(rows.c.customer).where(figures.within(rows, span))


def _resolved(filters: Filters, spans: list[Period], span: int | None) -> Select[tuple[int]]:
    rows = figures.resolved_complaints(filters, spans)
    return select(rows.c.customer).where(figures.within(rows, span))


def _satisfaction(predicate: Callable[[Subquery], ColumnElement[bool]]) -> Behind:
    """The customers whose rating or answer meets ``predicate`` (one of dashboard_figures' ``is_…``)."""

    def behind(filters: Filters, spans: list[Period], span: int | None) -> Select[tuple[int]]:
        facts = figures.satisfaction_facts(filters, spans)
        return select(facts.c.customer).where(
            figures.within(facts, span), facts.c.customer.is_not(None), predicate(facts)
        )

    return behind


def _points(total: Callable[[Subquery], ColumnElement[int]]) -> Behind:
    """The customers whose ``total`` of points (issued, redeemed) in the period is positive."""

    def behind(filters: Filters, spans: list[Period], span: int | None) -> Select[tuple[int]]:
        moves = figures.point_moves(filters, spans)
        return (
            select(moves.c.customer)
            .where(figures.within(moves, span))
            .group_by(moves.c.customer)
            .having(total(moves) > 0)
        )

    return behind


def _owed(filters: Filters, spans: list[Period], _span: int | None) -> Select[Any]:
    """Customers with a positive balance by the liability's arithmetic, over the whole history."""
    moves = figures.point_moves(filters, spans)
    owed = figures.owed_points(moves)
    return select(moves.c.customer, owed.label("amount")).group_by(moves.c.customer).having(owed > 0)


def _downloaded(filters: Filters, spans: list[Period], span: int | None) -> Select[tuple[int]]:
    rows = figures.downloads(filters, spans)
    return select(rows.c.customer).where(figures.within(rows, span))


BEHIND: dict[Figure, Behind] = {
    Figure.OPENED: _opened,
    Figure.RESOLVED: _resolved,
    Figure.RATED: _satisfaction(figures.is_rating),
    Figure.UNHAPPY: _satisfaction(figures.is_unhappy),
    Figure.ANSWERED: _satisfaction(figures.is_answer),
    Figure.DETRACTORS: _satisfaction(figures.is_detractor),
    Figure.ISSUED: _points(figures.issued_points),
    Figure.REDEEMED: _points(figures.redeemed_points),
    Figure.OWED: _owed,
    Figure.DOWNLOADED: _downloaded,
}


@dataclass(frozen=True)
class Listing:
    """A list of customers to page: rows of ``customer_id``, ``name``, ``email``, ``Profile`` (None
    before the first refresh) and ``amount`` (the points owed; None for other lists), and its order."""

    query: Select[Any]
    keys: list[ColumnElement[Any] | InstrumentedAttribute[Any]]

    @staticmethod
    def values(row: Row[Any]) -> tuple[int, int]:
        """The ordering keys of a row: the amount or the value (0 without a profile), then the id."""
        if row.amount is not None:
            return int(row.amount), row.customer_id
        return (row.Profile.value if row.Profile is not None else 0), row.customer_id


def by_profile(filters: Filters) -> Listing:
    """The chosen customers with a profile, the most valuable first: the list behind stages and grades."""
    query = (
        select(
            Profile.customer_id.label("customer_id"), User.name, User.email, Profile, null().label("amount")
        )
        .join(User, User.id == Profile.customer_id)
        .where(*filters.members(Profile.customer_id))
    )
    return Listing(query, [Profile.value, Profile.customer_id])


def by_figure(figure: Figure, filters: Filters, spans: list[Period], span: int | None) -> Listing:
    """The customers behind ``figure`` in period ``span`` (an index into ``spans``; None for the whole
    range), the most valuable first, or for the points owed the largest balance first.

    One query whatever the data: the figure's ids are a sub-select the accounts are matched against.
    """
    ids = BEHIND[figure](filters, spans, span)
    columns = (User.id.label("customer_id"), User.name, User.email, Profile)
    accounts = select(*columns).outerjoin(Profile, Profile.customer_id == User.id)
    if figure is Figure.OWED:
        owed = ids.subquery()
        query = accounts.add_columns(owed.c.amount).join(owed, owed.c.customer == User.id)
        return Listing(query, [owed.c.amount, User.id])
    query = accounts.add_columns(null().label("amount")).where(User.id.in_(ids))
    return Listing(query, [func.coalesce(Profile.value, 0), User.id])
