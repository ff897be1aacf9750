"""Building surveys: staff make one from a template, edit its questions, publish and close it.

Questions change only while a survey is a draft (the views say so); publishing queues an
invitation for the audience, closing skips the ones not sent yet. The caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update

from portal.plugin import Page, db, keyset_page

from . import library
from .invitations import invite_audience
from .models import Invitation, Question, Response, Survey

STAFF_PAGE = 20


def questions_of(survey_id: int) -> list[Question]:
    """The survey's questions in the order they are asked."""
    return list(
        db.session.scalars(
            select(Question).where(Question.survey_id == survey_id).order_by(Question.position, Question.id)
        )
    )


def survey_list(before: str | None) -> Page:
    """A page of every survey, newest first, for the staff list."""
    return keyset_page(select(Survey), [Survey.id], cursor=before, size=STAFF_PAGE, descending=True)


def submitted_counts(surveys: Sequence[Survey]) -> dict[int, int]:
    """How many responses each of these surveys has had sent, by survey id (none: absent)."""
    rows = db.session.execute(
        select(Response.survey_id, func.count())
        .where(Response.survey_id.in_([s.id for s in surveys]), Response.submitted_at.is_not(None))
        .group_by(Response.survey_id)
    )
    return {survey_id: count for survey_id, count in rows}


def create_from_template(template: str, title: str | None) -> Survey:
    """A new draft survey from one of the library's templates, with its questions, stored."""
    survey, questions = library.build(template, title)
    db.session.add(survey)
    db.session.flush()
    for question in questions:
        question.survey_id = survey.id
        db.session.add(question)
    return survey


def add_question(
    survey: Survey, *, kind: str, text: str, help: str, required: bool, options: str, scale_max: int
) -> Question:
    """Add a question after the survey's last one."""
    position = db.session.scalar(
        select(func.coalesce(func.max(Question.position) + 1, 0)).where(Question.survey_id == survey.id)
    )
    question = Question(
        survey_id=survey.id,
        position=position or 0,
        kind=kind,
        text=text,
        help=help,
        required=required,
        options=options,
        scale_max=scale_max,
    )
    db.session.add(question)
    return question


def change_question(questions: list[Question], index: int, change: str) -> None:
    """Move the question at ``index`` of the survey's ``questions`` up or down, or delete it.

    Positions are written again from 0 for every question, so they stay a plain sequence.
    """
    if change == "delete":
        db.session.delete(questions.pop(index))
    else:
        other = index - 1 if change == "up" else index + 1
        if 0 <= other < len(questions):
            questions[index], questions[other] = questions[other], questions[index]
    for position, question in enumerate(questions):
        question.position = position


def publish(survey: Survey) -> int:
    """Open the survey to answers and queue its audience's invitations; returns how many were queued."""
    survey.status = "published"
    db.session.flush()
    return invite_audience(survey)


def close(survey: Survey) -> None:
    """Stop the survey taking answers; invitations not yet sent are skipped, never sent."""
    survey.status = "closed"
    db.session.execute(
        update(Invitation)
        .where(Invitation.survey_id == survey.id, Invitation.status == "pending")
        .values(status="skipped")
    )
