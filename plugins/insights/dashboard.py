"""The business dashboard as data: every figure for the chosen customers and period, and its CSV rows.

The page and its CSV export are two printings of one ``Dashboard``, so they can never disagree.
Building one costs a fixed number of queries (dashboard_figures.py), whatever the data's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from portal.plugin import segment_by_key

from . import dashboard_figures as figures
from .dashboard_filters import Filters
from .dashboard_periods import Period, periods
from .grading import GradeCut, grade_cut
from .rules import GRADES, STAGE_LABELS, STAGES
from .settings import Thresholds, thresholds


@dataclass(frozen=True)
class Dashboard:
    """Every figure of the page for one choice of filters, at one moment."""

    filters: Filters
    spans: list[Period]
    customers: int
    profiles: figures.ProfileFigures
    limits: Thresholds
    cut: GradeCut
    valuable: list[figures.ValuableCustomer]
    funnel: dict[str, list[int]]
    complaints: list[figures.ComplaintPeriod]
    complaints_whole: figures.ComplaintPeriod
    satisfaction: list[figures.SatisfactionPeriod]
    points: list[figures.PointsPeriod]
    liability: int
    reach: list[int]
    reach_whole: int

    @property
    def satisfaction_whole(self) -> figures.SatisfactionPeriod:
        """The ratings and answers of the whole range together."""
        return figures.SatisfactionPeriod(
            *(
                sum(getattr(row, field.name) for row in self.satisfaction)
                for field in fields(figures.SatisfactionPeriod)
            )
        )

    @property
    def reach_share(self) -> float | None:
        """The share of the chosen customers who downloaded a document in the range."""
        return self.reach_whole / self.customers if self.customers else None

    def period_reach_share(self, index: int) -> float | None:
        return self.reach[index] / self.customers if self.customers else None


def build(filters: Filters, now: datetime) -> Dashboard:
    """Every figure for ``filters`` over the chosen period up to ``now``."""
    spans = periods(filters.period, now)
    complaint_rows, complaints_whole = figures.complaints(filters, spans)
    point_rows, liability = figures.points(filters, spans)
    reach, reach_whole = figures.document_reach(filters, spans)
    return Dashboard(
        filters=filters,
        spans=spans,
        customers=figures.customer_count(filters),
        profiles=figures.profile_figures(filters),
        limits=thresholds(),
        cut=grade_cut(),
        valuable=figures.valuable_at_risk(filters),
        funnel=figures.stages_over_time(filters, spans),
        complaints=complaint_rows,
        complaints_whole=complaints_whole,
        satisfaction=figures.satisfaction(filters, spans),
        points=point_rows,
        liability=liability,
        reach=reach,
        reach_whole=reach_whole,
    )


def csv_rows(board: Dashboard) -> Iterator[list[Any]]:
    """The dashboard as rows of figure, detail, period and value: the filters first, then every figure.

    Labels a person typed (an organization's name) reach the file only through ``csv_lines``, which
    guards every cell against spreadsheet formulas.
    """
    yield [_("Figure"), _("Detail"), _("Period from"), _("Value")]
    for key in board.filters.keys:
        segment = segment_by_key(key)
        yield [_("Filter"), str(segment.label) if segment else key, "", ""]
    yield [_("Customers"), "", "", board.customers]
    for stage in STAGES:
        yield [_("Customers by stage now"), str(STAGE_LABELS[stage]), "", board.profiles.stages[stage]]
    for grade in GRADES:
        share = board.profiles.value_share(grade)
        yield [_("Customers by grade"), grade, "", board.profiles.grade_counts[grade]]
        yield [_("Value share of grade (%)"), grade, "", _rounded(share * 100 if share is not None else None)]
    yield [_("Grade A share (%)"), "", "", board.limits.grade_a_share]
    yield [_("Grade B share (%)"), "", "", board.limits.grade_b_share]
    yield [_("Customers at risk"), "", "", board.profiles.at_risk]
    yield [_("Grade A or B customers at risk"), "", "", board.profiles.valuable_at_risk]
    whole = board.complaints_whole
    yield [_("Complaints opened"), _("whole period"), "", whole.opened]
    yield [_("Complaints resolved"), _("whole period"), "", whole.resolved]
    yield [_("Median days to resolve"), _("whole period"), "", _rounded(whole.median_days)]
    yield [_("Average days to resolve"), _("whole period"), "", _rounded(whole.average_days)]
    yield [_("Points liability"), "", "", board.liability]
    yield [_("Customers who downloaded a document"), _("whole period"), "", board.reach_whole]
    for index, span in enumerate(board.spans):
        day = span.first_day.isoformat()
        for stage in STAGES:
            yield [
                _("Customers by stage at the period's end"),
                str(STAGE_LABELS[stage]),
                day,
                board.funnel[stage][index],
            ]
        complaint = board.complaints[index]
        yield [_("Complaints opened"), "", day, complaint.opened]
        yield [_("Complaints resolved"), "", day, complaint.resolved]
        yield [_("Median days to resolve"), "", day, _rounded(complaint.median_days)]
        yield [_("Average days to resolve"), "", day, _rounded(complaint.average_days)]
        mood = board.satisfaction[index]
        yield [_("Ticket ratings"), "", day, mood.ratings]
        yield [_("CSAT (%)"), "", day, _rounded(mood.csat * 100 if mood.csat is not None else None)]
        yield [_("NPS answers"), "", day, mood.nps_answers]
        yield [_("NPS"), "", day, _rounded(mood.nps)]
        moved = board.points[index]
        yield [_("Points issued"), "", day, moved.issued]
        yield [_("Points redeemed"), "", day, moved.redeemed]
        yield [_("Points expired"), "", day, moved.expired]
        yield [_("Points deducted"), "", day, moved.deducted]
        yield [_("Customers who downloaded a document"), "", day, board.reach[index]]


def _rounded(value: float | None) -> float | str:
    """A figure to one decimal, or an empty cell when there is nothing to measure."""
    return round(value, 1) if value is not None else ""
