"""The surveys plugin's numbers on the staff dashboard: responses per day, and the latest NPS and CSAT."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select

from portal.plugin import Figure, db, period_totals, utcnow

from .models import Answer, Question, Response

DAYS = 14
SCORE_DAYS = 90
PROMOTER_FROM = 9
DETRACTOR_UP_TO = 6


def staff_figures() -> list[Figure]:
    """Responses over the last 14 days, by day; NPS and CSAT of the last 90 days where anyone answered."""
    now = utcnow()
    period = period_totals(Response.submitted_at, days=DAYS, now=now)
    figures = [
        Figure(
            name="surveys.responses",
            label=_l("Survey responses, last 14 days"),
            value=period.total,
            previous=period.previous,
            series=period.series,
            series_label=_l("Survey responses per day, last 14 days"),
            href=url_for("surveys_staff.staff_index"),
            order=50,
        )
    ]
    nps = net_promoter_score(now - timedelta(days=SCORE_DAYS))
    if nps is not None:
        score, survey_id = nps
        figures.append(
            Figure(
                name="surveys.nps",
                label=_l("Net Promoter Score, last 90 days"),
                value=score,
                href=url_for("surveys_staff.results", survey_id=survey_id),
                order=51,
            )
        )
    csat = satisfaction(now - timedelta(days=SCORE_DAYS))
    if csat is not None:
        average, survey_id = csat
        figures.append(
            Figure(
                name="surveys.csat",
                label=_l("Satisfaction (CSAT), last 90 days"),
                value=average,
                format="decimal",
                unit=_l("%(value)s / 5"),
                href=url_for("surveys_staff.results", survey_id=survey_id),
                order=52,
            )
        )
    return figures


def _answers(kind: str, since: datetime) -> Select[Any]:
    """The submitted answers to every question of ``kind`` since ``since``, to aggregate."""
    return (
        select()
        .select_from(Answer)
        .join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Question.kind == kind, Answer.value.is_not(None), Response.submitted_at >= since)
    )


def net_promoter_score(since: datetime) -> tuple[float, int] | None:
    """The share of promoters (9–10) less that of detractors (0–6), from -100 to 100, and the newest
    survey answered (the figure's link); None when nobody answered."""
    promoters, detractors, total, survey_id = db.session.execute(
        _answers("nps", since).add_columns(
            func.sum(case((Answer.value >= PROMOTER_FROM, 1), else_=0)),
            func.sum(case((Answer.value <= DETRACTOR_UP_TO, 1), else_=0)),
            func.count(),
            func.max(Response.survey_id),
        )
    ).one()
    if not total:
        return None
    return 100 * (int(promoters) - int(detractors)) / int(total), int(survey_id)


def satisfaction(since: datetime) -> tuple[float, int] | None:
    """The mean CSAT answer (1 to 5) and the newest survey answered; None when nobody answered."""
    average, survey_id = db.session.execute(
        _answers("csat", since).add_columns(func.avg(Answer.value), func.max(Response.survey_id))
    ).one()
    if average is None:
        return None
    return float(average), int(survey_id)
