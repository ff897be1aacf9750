"""Answering a survey: who may, the customer's response as a draft, checking and saving answers, sending.

A customer's response is found through their respondent key (see ``respondents``), anonymous or
not. Answers are saved at every step so nothing typed is lost; ``claim_draft`` makes two tabs
take turns, and ``submit`` sends the response once. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.plugin import db, in_segment, rows_matched, utcnow

from . import events
from .models import (
    CHOICE_KINDS,
    LONG_TEXT_MAX,
    SHORT_TEXT_MAX,
    TEXT_KINDS,
    Answer,
    Invitation,
    Question,
    Response,
    Survey,
)
from .respondents import respondent_key, respondent_keys


def may_answer(survey: Survey, customer_id: int) -> bool:
    """Invited customers, and members of the survey's audience, may answer it."""
    invited = db.session.scalar(
        select(Invitation.id).where(
            Invitation.survey_id == survey.id,
            Invitation.customer_id == customer_id,
            Invitation.status.in_(("sent", "answered")),
        )
    )
    if invited:
        return True
    if not survey.audience_key:
        return False
    return in_segment(survey.audience_key, customer_id)


def find_response(survey: Survey, customer_id: int) -> Response | None:
    """The customer's response to the survey, if they started one; writes nothing."""
    keys = respondent_keys(customer_id, [survey.id])
    if not keys:
        return None
    return db.session.scalar(
        select(Response).where(Response.survey_id == survey.id, Response.respondent.in_(list(keys)))
    )


def get_or_start_response(survey: Survey, customer_id: int) -> Response:
    """The customer's response, made on first use; a double request finds the other's row."""
    response = find_response(survey, customer_id)
    if response is not None:
        return response
    subject = db.session.scalar(
        select(Invitation.subject).where(
            Invitation.survey_id == survey.id, Invitation.customer_id == customer_id
        )
    )
    response = Response(
        survey_id=survey.id,
        respondent=respondent_key(survey.id, customer_id),
        customer_id=None if survey.anonymous else customer_id,
        subject=None if survey.anonymous else subject,
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        found = find_response(survey, customer_id)
        assert found is not None
        return found
    return response


def claim_draft(response: Response) -> bool:
    """Hold the customer's draft for this request; False when it was already sent.

    An UPDATE that changes nothing still takes the row's lock on PostgreSQL and the write lock on
    SQLite, so two tabs saving or sending at once take turns, and the later one finds the draft
    sent. Call it before writing any answer, and roll back if it says False.
    """
    held = rows_matched(
        update(Response)
        .where(Response.id == response.id, Response.submitted_at.is_(None))
        .values(started_at=Response.started_at)
        .execution_options(synchronize_session=False)
    )
    return held == 1


def saved_answers(response_id: int) -> dict[int, list[Answer]]:
    """The answers saved so far, by question id, so a customer who comes back finds them filled in."""
    saved: dict[int, list[Answer]] = {}
    for answer in db.session.scalars(
        select(Answer).where(Answer.response_id == response_id).order_by(Answer.id)
    ):
        saved.setdefault(answer.question_id, []).append(answer)
    return saved


@dataclass
class Parsed:
    """One question's answer as checked: the numbers chosen or the text, and whether anything was given."""

    values: list[int] = field(default_factory=list)
    text: str | None = None
    given: bool = False


def parse_answer(question: Question, raw: list[str]) -> tuple[Parsed, str | None]:
    """Check one question's submitted values: (what to store, an error for the person or None)."""
    raw = [value.strip() for value in raw if value.strip()]
    if question.kind in TEXT_KINDS:
        text = raw[0] if raw else ""
        limit = SHORT_TEXT_MAX if question.kind == "short_text" else LONG_TEXT_MAX
        if len(text) > limit:
            return Parsed(), _("Please keep your answer to %(limit)d characters.", limit=limit)
        return Parsed(text=text or None, given=bool(text)), None
    bounds = question.bounds()
    assert bounds is not None
    if question.kind != "multiple" and len(raw) > 1:
        return Parsed(), _("Please choose one answer.")
    values: list[int] = []
    for value in raw[:50]:
        try:
            number = int(value)
        except ValueError:
            return Parsed(), _("Please choose one of the answers offered.")
        if not bounds[0] <= number <= bounds[1]:
            if question.kind in CHOICE_KINDS:
                return Parsed(), _("Please choose one of the answers offered.")
            return Parsed(), _(
                "Please choose a number from %(low)d to %(high)d.", low=bounds[0], high=bounds[1]
            )
        if number not in values:
            values.append(number)
    return Parsed(values=values, given=bool(values)), None


def save_answers(response: Response, questions: list[Question], form: dict[str, list[str]]) -> dict[int, str]:
    """Store the valid answers among those on the form; return the errors by question id."""
    errors: dict[int, str] = {}
    for question in questions:
        name = f"q{question.id}"
        if name not in form:
            continue
        parsed, error = parse_answer(question, form[name])
        if error:
            errors[question.id] = error
            continue
        db.session.execute(
            delete(Answer).where(Answer.response_id == response.id, Answer.question_id == question.id)
        )
        if parsed.text is not None:
            db.session.add(Answer(response_id=response.id, question_id=question.id, text=parsed.text))
        for value in parsed.values:
            slot = value if question.kind == "multiple" else 0
            db.session.add(Answer(response_id=response.id, question_id=question.id, value=value, slot=slot))
    db.session.flush()
    return errors


def missing_required(response: Response, questions: list[Question]) -> list[Question]:
    """The required questions with no saved answer: a response cannot be sent while there are any."""
    answered = set(
        db.session.scalars(select(Answer.question_id).where(Answer.response_id == response.id).distinct())
    )
    return [q for q in questions if q.required and q.id not in answered]


def submit(survey: Survey, response: Response, customer_id: int) -> bool:
    """Mark the response submitted once; only the request that did it emits surveys.completed.

    The invitation of a survey that is not anonymous becomes "answered". An anonymous survey's stays
    as it was, so nothing staff can see says whether, or when, this customer answered it.
    """
    now = utcnow()
    done = rows_matched(
        update(Response)
        .where(Response.id == response.id, Response.submitted_at.is_(None))
        .values(submitted_at=now)
        .execution_options(synchronize_session=False)
    )
    if done != 1:
        return False
    if not survey.anonymous:
        db.session.execute(
            update(Invitation)
            .where(Invitation.survey_id == survey.id, Invitation.customer_id == customer_id)
            .values(status="answered")
        )
    events.completed(survey.id, response.id, customer_id, survey.anonymous, nps_score(survey, response))
    return True


def nps_score(survey: Survey, response: Response) -> int | None:
    """The response's answer to the survey's first NPS question, or None when it has none (one query)."""
    first_nps = (
        select(Question.id)
        .where(Question.survey_id == survey.id, Question.kind == "nps")
        .order_by(Question.position, Question.id)
        .limit(1)
        .scalar_subquery()
    )
    return db.session.scalar(
        select(Answer.value).where(Answer.response_id == response.id, Answer.question_id == first_nps)
    )


def survey_to_answer(survey_id: int, customer_id: int) -> Survey | None:
    """The survey, if it was ever published and the customer may answer it; None otherwise."""
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.status == "draft" or not may_answer(survey, customer_id):
        return None
    return survey


def current_values(response: Response | None, questions: list[Question]) -> dict[int, dict]:
    """What the answer form shows for each question: the values chosen and the text saved so far."""
    values: dict[int, dict] = {q.id: {"values": set(), "text": ""} for q in questions}
    if response is not None:
        for question_id, answers in saved_answers(response.id).items():
            if question_id in values:
                for answer in answers:
                    if answer.value is not None:
                        values[question_id]["values"].add(str(answer.value))
                    if answer.text:
                        values[question_id]["text"] = answer.text
    return values
