"""Results: a survey's figures from a handful of aggregate queries, its text answers, a ticket's CSAT.

Everything counts submitted responses only. An anonymous survey's results cannot be narrowed to a
segment and list text answers in respondent-key order, so nothing says who answered what, or when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, select

from portal.plugin import Page, db, format_number, keyset_page, segment_member_ids

from .building import questions_of
from .models import CHOICE_KINDS, TEXT_KINDS, Answer, Invitation, Question, Response, Survey


@dataclass
class Bar:
    """One answer's bar: its label, how many chose it, and their share of those who answered."""

    label: str
    count: int
    share: float


@dataclass
class QuestionResult:
    """One question's figures; ``average`` and ``nps`` only for the kinds that have them."""

    question: Question
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    average: float | None = None
    nps: dict[str, float] | None = None


def _submitted(
    survey_id: int, start: datetime | None, end: datetime | None, segment: str | None
) -> ColumnElement[bool]:
    conditions = [Response.survey_id == survey_id, Response.submitted_at.is_not(None)]
    if start:
        conditions.append(Response.submitted_at >= start)
    if end:
        conditions.append(Response.submitted_at < end)
    if segment:
        conditions.append(Response.customer_id.in_(segment_member_ids(segment)))
    return and_(*conditions)


def results(
    survey: Survey, start: datetime | None = None, end: datetime | None = None, segment: str | None = None
) -> dict[str, object]:
    """Every number of the results page, from a handful of aggregate queries."""
    where = _submitted(survey.id, start, end, None if survey.anonymous else segment)
    responses = db.session.scalar(select(func.count()).select_from(Response).where(where)) or 0
    invited = (
        db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.survey_id == survey.id, Invitation.status.in_(("sent", "answered")))
        )
        or 0
    )
    questions = questions_of(survey.id)
    by_id = {q.id: QuestionResult(q) for q in questions}
    # One GROUP BY for the distribution of every question with numbers.
    rows = db.session.execute(
        select(Answer.question_id, Answer.value, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(where, Answer.value.is_not(None))
        .group_by(Answer.question_id, Answer.value)
    ).all()
    counts: dict[int, dict[int, int]] = {}
    for question_id, value, count in rows:
        counts.setdefault(question_id, {})[value] = count
    # How many responses answered each question (text ones too).
    for question_id, answered in db.session.execute(
        select(Answer.question_id, func.count(func.distinct(Answer.response_id)))
        .join(Response, Response.id == Answer.response_id)
        .where(where)
        .group_by(Answer.question_id)
    ).all():
        if question_id in by_id:
            by_id[question_id].answered = answered
    for question in questions:
        result = by_id[question.id]
        bounds = question.bounds()
        if bounds is None:
            continue
        mine = counts.get(question.id, {})
        labels = _labels(question)
        total = sum(mine.values())
        # A share is of the people who answered, not of the ticks: on a multiple-choice question one
        # respondent may choose several answers, and each of them was still chosen by that whole person.
        respondents = result.answered
        result.bars = [
            Bar(labels[i - bounds[0]], mine.get(i, 0), (mine.get(i, 0) / respondents) if respondents else 0.0)
            for i in range(bounds[0], bounds[1] + 1)
        ]
        if question.kind in ("nps", "csat", "rating") and total:
            result.average = sum(v * c for v, c in mine.items()) / total
        if question.kind == "nps" and total:
            promoters = sum(c for v, c in mine.items() if v >= 9)
            detractors = sum(c for v, c in mine.items() if v <= 6)
            result.nps = {
                "promoters": 100 * promoters / total,
                "passives": 100 * (total - promoters - detractors) / total,
                "detractors": 100 * detractors / total,
                "score": 100 * (promoters - detractors) / total,
            }
    trend = db.session.execute(
        select(func.date(Response.submitted_at), func.count())
        .where(where)
        .group_by(func.date(Response.submitted_at))
        .order_by(func.date(Response.submitted_at).desc())
        .limit(30)
    ).all()
    return {
        "responses": responses,
        "invited": invited,
        "rate": (100 * responses / invited) if invited else None,
        "questions": [by_id[q.id] for q in questions],
        # SQLite's date() gives text, PostgreSQL's a date: one type, so the page writes it as a date.
        "trend": [(date.fromisoformat(str(day)), count) for day, count in reversed(trend)],
    }


def _labels(question: Question) -> list[str]:
    if question.kind == "yesno":
        return [_("No"), _("Yes")]
    if question.kind in CHOICE_KINDS:
        return question.option_list
    low, high = question.bounds() or (0, 0)
    return [format_number(i) for i in range(low, high + 1)]


def text_answers(survey: Survey, question_id: int, before: str | None, limit: int = 20) -> Page:
    """The text answers to one question of submitted responses, a page at a time; rows have ``.text``.

    Newest first, unless the survey is anonymous: then in the order of the respondent keys, a keyed
    hash, so the list is stable but says nothing about who answered when.
    """
    where = and_(
        _submitted(survey.id, None, None, None), Answer.question_id == question_id, Answer.text.is_not(None)
    )
    if survey.anonymous:
        by_key = select(Response.respondent, Answer.text).join(Answer, Answer.response_id == Response.id)
        return keyset_page(
            by_key.where(where), [Response.respondent], cursor=before, size=limit, scalars=False
        )
    newest = select(Answer.id, Answer.text).join(Response, Response.id == Answer.response_id)
    return keyset_page(
        newest.where(where), [Answer.id], cursor=before, size=limit, descending=True, scalars=False
    )


def ticket_csat(ticket_id: object) -> tuple[int, str | None] | None:
    """The CSAT answer given about a ticket in a survey that is not anonymous, with any comment."""
    try:
        subject = f"ticket:{int(ticket_id)}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    response = db.session.execute(
        select(Response.id)
        .join(Survey, Survey.id == Response.survey_id)
        .where(
            Response.subject == subject,
            Response.submitted_at.is_not(None),
            Survey.anonymous.is_(False),
        )
        .order_by(Response.id.desc())
        .limit(1)
    ).scalar()
    if response is None:
        return None
    rows = db.session.execute(
        select(Question.kind, Answer.value, Answer.text)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id == response)
        .order_by(Question.position)
    ).all()
    score = next((value for kind, value, _t in rows if kind == "csat" and value is not None), None)
    if score is None:
        return None
    comment = next((text for _k, _v, text in rows if text), None)
    return score, comment


def text_question(survey: Survey, question_id: int) -> Question | None:
    """The survey's question with this id if its answers are text; None for any other."""
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != survey.id or question.kind not in TEXT_KINDS:
        return None
    return question
