"""The business dashboard for administrators at /staff/insights/, its CSV, and the customers behind a figure.

"Which valuable customers are we about to lose, and why?" is answered at the top, where an
administrator can act at once (set the stage, write to them); the figures below show the trends,
each linking to the customers it counts. Filters live in the URL so a view can be shared.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from werkzeug.routing import BuildError
from wtforms import SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import ValidationError

from portal.plugin import admin, csv_lines, format_date, keyset_page, utcnow

from .dashboard import Dashboard, build, csv_rows
from .dashboard_charts import Chart, chart
from .dashboard_filters import FilterForm
from .dashboard_lists import (
    LABELS,
    MAY_BE_ANONYMOUS,
    SPAN_CHOICES,
    TIMELESS,
    WHOLE,
    Figure,
    by_figure,
    by_profile,
)
from .dashboard_periods import COUNT, MONTHS, PERIOD_CHOICES, Period, periods
from .forms import OverrideForm, ReleaseForm
from .models import Profile
from .rules import GRADES, STAGE_LABELS, STAGES, describe_reason

dashboard_bp = Blueprint(
    "insights_dashboard", __name__, url_prefix="/staff/insights", template_folder="templates"
)

PAGE_SIZE = 25
NEW_TICKET_ENDPOINT = "tickets_staff.staff_new"
FIGURES = frozenset(figure.value for figure in Figure)


@dashboard_bp.route("/")
@admin
def index() -> str | tuple[str, int]:
    """Every figure for the chosen customers and period, the valuable customers at risk first."""
    form = FilterForm(formdata=request.args)
    if not form.validate():
        return render_template("insights/dashboard.html", form=form, board=None), 400
    board = build(form.filters(), utcnow())
    style = "month" if board.filters.period == MONTHS else "short"
    labels = [format_date(span.first_day, style=style) for span in board.spans]
    return render_template(
        "insights/dashboard.html",
        form=form,
        board=board,
        args=board.filters.url_args(),
        stage_labels=STAGE_LABELS,
        stages=STAGES,
        grades=GRADES,
        describe_reason=describe_reason,
        write_to=_new_ticket_url,
        back=request.full_path,
        override_form=OverrideForm(formdata=None),
        release_form=ReleaseForm(formdata=None),
        labels=labels,
        charts=_charts(board, labels),
        figure_labels=LABELS,
        period_label=PERIOD_CHOICES[board.filters.period],
    )


@dashboard_bp.route("/dashboard.csv")
@admin
def export_csv() -> Response | tuple[str, int]:
    """The dashboard's figures as CSV, with the filters applied and every cell safe for spreadsheets."""
    form = FilterForm(formdata=request.args)
    if not form.validate():
        return render_template("insights/dashboard.html", form=form, board=None), 400
    board = build(form.filters(), utcnow())
    return Response(
        stream_with_context(csv_lines(csv_rows(board))),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="insights-dashboard.csv"'},
    )


class CustomerListForm(FilterForm):
    """The dashboard's filters and which figure's customers: a stage, grades, whether at risk, or an
    event-based figure (``figure``) in one of the dashboard's periods (``span``: an index, or whole)."""

    stage = SelectField(_l("Stage"), choices=[], validate_choice=False)
    grade = SelectMultipleField(
        _l("Grade"), choices=[SelectChoice(grade, grade) for grade in GRADES], validate_choice=False
    )
    risk = SelectField(
        _l("At risk"), choices=[SelectChoice("", ""), SelectChoice("1", "1")], validate_choice=False
    )
    figure = SelectField(
        _l("Figure"),
        choices=[SelectChoice("", ""), *(SelectChoice(figure.value, LABELS[figure]) for figure in Figure)],
        validate_choice=False,
    )
    span = SelectField(
        _l("Period"), choices=[SelectChoice(span, span) for span in SPAN_CHOICES], validate_choice=False
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.stage.choices = [SelectChoice("", _l("Every stage"))] + [
            SelectChoice(stage, STAGE_LABELS[stage]) for stage in STAGES
        ]

    def validate_stage(self, field: SelectField) -> None:
        if field.data and field.data not in STAGES:
            raise ValidationError(_l("Choose a stage from the list."))

    def validate_grade(self, field: SelectMultipleField) -> None:
        if any(grade not in GRADES for grade in field.data or []):
            raise ValidationError(_l("Choose grades from the list."))

    def validate_risk(self, field: SelectField) -> None:
        if field.data not in (None, "", "1"):
            raise ValidationError(_l("Choose whether the customers are at risk."))

    def validate_figure(self, field: SelectField) -> None:
        if field.data and field.data not in FIGURES:
            raise ValidationError(_l("There is no such figure on the dashboard; choose one of its links."))

    def validate_span(self, field: SelectField) -> None:
        if field.data and field.data not in SPAN_CHOICES:
            raise ValidationError(
                _l("Choose a period of the dashboard: a number from 0 to %(last)s, or whole.", last=COUNT - 1)
            )

    def chosen_figure(self) -> Figure | None:
        """The validated event-based figure, if one was asked for."""
        return Figure(self.figure.data) if self.figure.data else None

    def chosen_span(self) -> int | None:
        """The validated period's index; None for the whole range (the default)."""
        return None if self.span.data in (None, "", WHOLE) else int(self.span.data)


@dashboard_bp.route("/customers")
@admin
def customers() -> str | tuple[str, int]:
    """The customers behind a dashboard figure, filters applied: a stage, grades or the risk flag, or
    an event-based figure in a period (see dashboard_lists.py)."""
    form = CustomerListForm(formdata=request.args)
    if not form.validate():
        return render_template("insights/dashboard_customers.html", form=form, page=None), 400
    filters = form.filters()
    figure, span = form.chosen_figure(), form.chosen_span()
    spans = periods(filters.period, utcnow())
    listing = by_figure(figure, filters, spans, span) if figure else by_profile(filters)
    page = keyset_page(
        _narrowed(listing.query, form),
        listing.keys,
        cursor=request.args.get("cursor", "")[:200] or None,
        size=PAGE_SIZE,
        descending=True,
        values=listing.values,
        scalars=False,
    )
    args = {
        **filters.url_args(),
        "stage": form.stage.data or "",
        "grade": form.grade.data or [],
        "risk": form.risk.data or "",
        "figure": figure.value if figure else "",
        "span": str(span) if figure and span is not None and figure not in TIMELESS else "",
    }
    return render_template(
        "insights/dashboard_customers.html",
        form=form,
        page=page,
        args={name: value for name, value in args.items() if value},
        back_args=filters.url_args(),
        caption=_caption(figure, filters.period, spans, span) if figure else "",
        anonymous_left_out=figure in MAY_BE_ANONYMOUS,
        owed=figure is Figure.OWED,
        stage_labels=STAGE_LABELS,
        describe_reason=describe_reason,
    )


def _narrowed(query: Select[Any], form: CustomerListForm) -> Select[Any]:
    """``query`` kept to the chosen stage, grades and risk, which narrow any list, a figure's too."""
    if form.stage.data:
        query = query.where(Profile.stage == form.stage.data)
    if form.grade.data:
        query = query.where(Profile.grade.in_(form.grade.data))
    if form.risk.data:
        query = query.where(Profile.at_risk.is_(True))
    return query


def _caption(figure: Figure, period: str, spans: list[Period], span: int | None) -> str:
    """Which figure and period the list shows, in words, as the dashboard names its periods."""
    label = LABELS[figure]
    if figure in TIMELESS:
        return str(label)
    if span is None:
        if period == MONTHS:
            return _("%(figure)s in the last 12 months", figure=label)
        return _("%(figure)s in the last 12 weeks", figure=label)
    day = spans[span].first_day
    if period == MONTHS:
        return _("%(figure)s in %(month)s", figure=label, month=format_date(day, style="month"))
    return _("%(figure)s in the week from %(day)s", figure=label, day=format_date(day))


def _charts(board: Dashboard, labels: list[str]) -> dict[str, Chart]:
    """The funnel over time, complaints opened, and points issued against redeemed, as charts."""
    return {
        "funnel": chart(
            _("Customers by stage at the end of each period"),
            {STAGE_LABELS[stage]: board.funnel[stage] for stage in STAGES},
            labels,
            stacked=True,
        ),
        "complaints": chart(
            _("Complaints opened per period"),
            {_("Opened"): [row.opened for row in board.complaints]},
            labels,
            stacked=False,
        ),
        "points": chart(
            _("Points issued and redeemed per period"),
            {
                _("Issued"): [row.issued for row in board.points],
                _("Redeemed"): [row.redeemed for row in board.points],
            },
            labels,
            stacked=False,
        ),
    }


def _new_ticket_url(email: str) -> str | None:
    """The staff page that opens a ticket for the customer, when the tickets plugin offers one."""
    try:
        return url_for(NEW_TICKET_ENDPOINT, q=email)
    except BuildError:
        return None
