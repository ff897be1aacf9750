"""The surveys API: the surveys a customer may answer, answering them, and staff's results and responses.

The same rules as the pages: a customer's token sees the surveys they were invited to or whose
audience they belong to (others are a 404), answers each once, checked by the answer page's own
functions; staff tokens read every survey, its results and its responses. An anonymous survey
stays anonymous here too: its responses carry no id, no customer and no time, are listed in the
order of their respondent keys, and cannot be filtered by time or narrowed to a segment.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

import marshmallow as ma
from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from portal.plugin import (
    IDEMPOTENCY_PARAMETER,
    ApiBlueprint,
    LocalizedText,
    PageArguments,
    SyncArguments,
    User,
    UtcDateTime,
    api_abort,
    api_access,
    api_page,
    current_api_user,
    db,
    idempotency_key,
    localized,
    page_of,
    segment_by_key,
    utcnow,
    withhold_from_audit,
)

from . import answering, results
from .building import questions_of
from .forms import FIRST_DAY, LAST_DAY
from .models import CHOICE_KINDS, KINDS, TEXT_KINDS, Answer, Invitation, Question, Response, Survey
from .respondents import answered_anonymously

STATUSES = ("draft", "published", "closed")
SCALE_KINDS = ("nps", "csat", "rating")
# More answers than any survey has questions; each key is a question id.
ANSWERS_MAX = 200
QUESTION_KEY_MAX = 12
SEGMENT_KEY_MAX = 200
# What a value of each kind of question must be, in the words of a refusal.
EXPECTED = {
    "nps": "a whole number",
    "csat": "a whole number",
    "rating": "a whole number",
    "single": "the place of the option chosen in options, from 0",
    "multiple": "a list of the places of the options chosen in options, from 0",
    "yesno": "true or false",
    "short_text": "text",
    "long_text": "text",
}

api = ApiBlueprint(
    "surveys_api",
    __name__,
    url_prefix="/surveys",
    description="Surveys: answer the ones you are asked; staff read the results and the responses.",
)


class SurveySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = LocalizedText(required=True)
    intro = LocalizedText(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(STATUSES)})
    anonymous = ma.fields.Boolean(
        required=True, metadata={"description": "Answers are never linked to the person who gave them."}
    )
    open = ma.fields.Method("_is_open", required=True, metadata={"type": "boolean"})
    opens_at = UtcDateTime(required=True, allow_none=True)
    closes_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)

    def _is_open(self, survey: Survey) -> bool:
        return survey.is_open(utcnow())


class QuestionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(KINDS)})
    text = LocalizedText(required=True)
    help = LocalizedText(required=True)
    required = ma.fields.Boolean(required=True)
    options = ma.fields.Method(
        "_options",
        required=True,
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "A choice question's options; an answer gives the places of those chosen.",
        },
    )
    minimum = ma.fields.Method("_minimum", required=True, metadata={"type": ["integer", "null"]})
    maximum = ma.fields.Method("_maximum", required=True, metadata={"type": ["integer", "null"]})

    def _options(self, question: Question) -> list[str]:
        return question.localized_options() if question.kind in CHOICE_KINDS else []

    def _minimum(self, question: Question) -> int | None:
        return _scale(question)[0]

    def _maximum(self, question: Question) -> int | None:
        return _scale(question)[1]


class SurveyDetailSchema(SurveySchema):
    questions = ma.fields.List(ma.fields.Nested(QuestionSchema), required=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """A survey's questions are read in the order they are asked; every other field is its own."""
        if attr == "questions":
            return questions_of(obj.id)
        return super().get_attribute(obj, attr, default)


ANSWERS_DESCRIPTION = (
    "By question id: a whole number for nps, csat and rating; an option's place (from 0) for single; "
    "a list of places for multiple; true or false for yesno; text for short_text and long_text; "
    "null or left out for no answer."
)


class ResponseSchema(ma.Schema):
    id = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "Null: anonymous."})
    survey_id = ma.fields.Integer(required=True)
    customer_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Null for an anonymous survey."}
    )
    subject = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "What it is about, e.g. ticket:12."}
    )
    submitted_at = UtcDateTime(
        required=True, allow_none=True, metadata={"description": "Null for an anonymous survey."}
    )
    answers = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        required=True,
        metadata={"description": ANSWERS_DESCRIPTION},
    )


class NewResponseSchema(ma.Schema):
    answers = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(1, QUESTION_KEY_MAX)),
        values=ma.fields.Raw(allow_none=True),
        required=True,
        validate=ma.validate.Length(max=ANSWERS_MAX),
        metadata={"description": ANSWERS_DESCRIPTION},
    )


class SurveyListArguments(PageArguments):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))


class ResponseListArguments(SyncArguments):
    updated_since = UtcDateTime(
        load_default=None,
        metadata={
            "description": "Only responses submitted at or after this moment; not for anonymous surveys."
        },
    )


class ResultsArguments(ma.Schema):
    start = ma.fields.Date(load_default=None, metadata={"description": "The first day counted (UTC)."})
    end = ma.fields.Date(load_default=None, metadata={"description": "The last day counted (UTC)."})
    segment = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(1, SEGMENT_KEY_MAX),
        metadata={"description": "Only the responses of this segment's members; not for anonymous surveys."},
    )

    @ma.validates("start")
    def _start_in_range(self, value: date | None, **_kwargs: Any) -> None:
        _in_range(value)

    @ma.validates("end")
    def _end_in_range(self, value: date | None, **_kwargs: Any) -> None:
        _in_range(value)

    @ma.validates("segment")
    def _known(self, value: str | None, **_kwargs: Any) -> None:
        if value is not None and segment_by_key(value) is None:
            raise ma.ValidationError("No segment has this key.")

    @ma.validates_schema
    def _in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ma.ValidationError("The start must not be after the end.", "start")


class BarSchema(ma.Schema):
    value = ma.fields.Integer(
        required=True, metadata={"description": "The number, option place or 1 for yes."}
    )
    label = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)
    share = ma.fields.Float(
        required=True, metadata={"description": "Of those who answered the question, 0 to 1."}
    )


class NpsSchema(ma.Schema):
    promoters = ma.fields.Float(required=True)
    passives = ma.fields.Float(required=True)
    detractors = ma.fields.Float(required=True)
    score = ma.fields.Float(
        required=True, metadata={"description": "Percent promoters minus percent detractors."}
    )


class QuestionResultSchema(ma.Schema):
    question_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(KINDS)})
    text = ma.fields.String(required=True)
    answered = ma.fields.Integer(required=True, metadata={"description": "How many responses answered it."})
    bars = ma.fields.List(ma.fields.Nested(BarSchema), required=True)
    average = ma.fields.Float(required=True, allow_none=True)
    nps = ma.fields.Nested(NpsSchema, required=True, allow_none=True)


class DayCountSchema(ma.Schema):
    day = ma.fields.Date(required=True)
    responses = ma.fields.Integer(required=True)


class ResultsSchema(ma.Schema):
    survey_id = ma.fields.Integer(required=True)
    responses = ma.fields.Integer(required=True)
    invited = ma.fields.Integer(required=True)
    rate = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "Percent of those invited who answered."}
    )
    questions = ma.fields.List(ma.fields.Nested(QuestionResultSchema), required=True)
    trend = ma.fields.List(
        ma.fields.Nested(DayCountSchema),
        required=True,
        metadata={"description": "The last 30 days with answers."},
    )


SurveyPage = page_of(SurveySchema, "SurveyPageSchema")
ResponsePage = page_of(ResponseSchema, "ResponsePageSchema")


def _in_range(value: date | None) -> None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise ma.ValidationError(f"Give a day from {FIRST_DAY} to {LAST_DAY}.")


def _scale(question: Question) -> tuple[int | None, int | None]:
    bounds = question.bounds() if question.kind in SCALE_KINDS else None
    return bounds if bounds is not None else (None, None)


def _open_to(customer_id: int) -> Select[Any]:
    """The surveys waiting on the customer's surveys page: sent to them, open, not yet answered."""
    now = utcnow()
    waiting = (
        select(Survey)
        .join(Invitation, Invitation.survey_id == Survey.id)
        .where(
            Invitation.customer_id == customer_id,
            Invitation.status == "sent",
            Survey.status == "published",
            or_(Survey.opens_at.is_(None), Survey.opens_at <= now),
            or_(Survey.closes_at.is_(None), Survey.closes_at > now),
        )
    )
    # An anonymous survey's invitation never says "answered": the customer's own keys tell.
    anonymous = db.session.scalars(waiting.with_only_columns(Survey.id).where(Survey.anonymous.is_(True)))
    answered = answered_anonymously(customer_id, list(anonymous))
    return waiting.where(Survey.id.not_in(answered)) if answered else waiting


def _survey(user: User, survey_id: int) -> Survey:
    """The survey if this account may see it: staff every one, a customer those they may answer."""
    survey = (
        db.session.get(Survey, survey_id) if user.is_staff else answering.survey_to_answer(survey_id, user.id)
    )
    if survey is None:
        api_abort(404)
    return survey


@api.route("/")
@api.etag
@api.arguments(SurveyListArguments, location="query")
@api.response(200, SurveyPage)
@api_access("customer", "surveys:read")
def list_surveys(arguments: dict[str, Any]) -> Any:
    """A customer's token lists the surveys waiting for them, as their surveys page does; staff every one.

    Oldest first, so a tool paging on meets the surveys added since at the end.
    """
    user = current_api_user()
    query = select(Survey) if user.is_staff else _open_to(user.id)
    if arguments["status"]:
        query = query.where(Survey.status == arguments["status"])
    return api_page(query, [Survey.id], arguments)


@api.route("/<int:survey_id>")
@api.etag
@api.response(200, SurveyDetailSchema)
@api_access("customer", "surveys:read")
def get_survey(survey_id: int) -> Any:
    """One survey with its questions, if this token's account may see it (otherwise 404)."""
    return _survey(current_api_user(), survey_id)


@api.route("/<int:survey_id>/responses", methods=["POST"])
@api.arguments(NewResponseSchema)
@api.response(201, ResponseSchema)
@api.doc(parameters=[IDEMPOTENCY_PARAMETER])
@api_access("customer", "surveys:write")
def answer_survey(fields: dict[str, Any], survey_id: int) -> Any:
    """Send the customer's answers, checked as the answer page checks them; each customer answers once.

    A second submission is a 409. With an Idempotency-Key, a retry whose answers are those already
    sent answers the stored response instead: the portal keeps one response per customer and survey,
    so the same customer sending the same answers is the same submission.
    """
    user = current_api_user()
    if user.is_staff:
        api_abort(403, "Only customers answer surveys.")
    keyed = idempotency_key() is not None
    survey = _survey(user, survey_id)
    if survey.anonymous:
        withhold_from_audit()  # "this customer answered at 10:42" would name the respondent
    questions = questions_of(survey.id)
    if not questions:
        api_abort(404)
    form = _form_values(questions, fields["answers"])
    earlier = answering.find_response(survey, user.id)
    if earlier is not None and earlier.submitted_at is not None:
        return _answered_before(survey, earlier, questions, form, keyed)
    if not survey.is_open(utcnow()):
        api_abort(409, "This survey is closed.")
    return _send(survey, user, questions, form, keyed)


def _send(
    survey: Survey, user: User, questions: list[Question], form: dict[str, list[str]], keyed: bool
) -> dict[str, Any]:
    """The answer page's steps: hold the draft, save every answer, check the required ones, submit once."""
    response = answering.get_or_start_response(survey, user.id)
    if not answering.claim_draft(response):
        return _lost_race(survey, user, questions, form, keyed)
    errors = answering.save_answers(response, questions, form)
    for question in answering.missing_required(response, questions):
        errors.setdefault(question.id, _("Please answer this question."))
    if errors:
        db.session.rollback()
        api_abort(422, errors={"json": {"answers": {str(key): [error] for key, error in errors.items()}}})
    if not answering.submit(survey, response, user.id):
        return _lost_race(survey, user, questions, form, keyed)
    db.session.commit()
    return _response_out(survey, response, questions)


def _lost_race(
    survey: Survey, user: User, questions: list[Question], form: dict[str, list[str]], keyed: bool
) -> dict[str, Any]:
    """Another request sent this customer's response first: keep nothing of this one, answer as a repeat."""
    db.session.rollback()
    response = answering.find_response(survey, user.id)
    assert response is not None and response.submitted_at is not None
    return _answered_before(survey, response, questions, form, keyed)


def _answered_before(
    survey: Survey, response: Response, questions: list[Question], form: dict[str, list[str]], keyed: bool
) -> dict[str, Any]:
    """The stored response for a keyed retry of the same answers; a 409 for anything else."""
    if keyed and _stored_form(response.id, questions) == _normalised(questions, form):
        return _response_out(survey, response, questions)
    api_abort(409, "You have answered this survey already; each customer answers a survey once.")


def _normalised(
    questions: list[Question], form: dict[str, list[str]]
) -> dict[int, tuple[frozenset[int], str | None]]:
    """What these form values would store, per question answered (a value the page refuses: none)."""
    stored: dict[int, tuple[frozenset[int], str | None]] = {}
    for question in questions:
        parsed, error = answering.parse_answer(question, form.get(f"q{question.id}", []))
        if error is None and parsed.given:
            stored[question.id] = (frozenset(parsed.values), parsed.text)
    return stored


def _stored_form(response_id: int, questions: list[Question]) -> dict[int, tuple[frozenset[int], str | None]]:
    """What the response stored, in the shape of ``_normalised``, so a retry can be told from a change."""
    stored = answering.saved_answers(response_id)
    return {
        question.id: (
            frozenset(a.value for a in stored[question.id] if a.value is not None),
            next((a.text for a in stored[question.id] if a.text is not None), None),
        )
        for question in questions
        if question.id in stored
    }


def _form_values(questions: list[Question], answers: dict[str, Any]) -> dict[str, list[str]]:
    """The body's answers as the answer page's form fields (every question, empty when not answered).

    A key that is no question of the survey, or a value of the wrong type for its question, is a 422
    naming the key; what the page itself checks (ranges, options, lengths) is left to the page's code.
    """
    by_key = {str(question.id): question for question in questions}
    errors: dict[str, list[str]] = {}
    form: dict[str, list[str]] = {f"q{question.id}": [] for question in questions}
    for key, value in answers.items():
        question = by_key.get(key)
        if question is None:
            errors[key] = ["This survey has no question with this id."]
            continue
        values = _as_form_values(question, value)
        if values is None:
            errors[key] = [f"Give {EXPECTED[question.kind]}."]
        elif any("\x00" in each for each in values):
            errors[key] = ["Remove the NUL character from this text."]
        else:
            form[f"q{key}"] = values
    if errors:
        api_abort(422, errors={"json": {"answers": errors}})
    return form


def _as_form_values(question: Question, value: Any) -> list[str] | None:
    """One answer as the page's form sends it; None when its JSON type does not fit the question."""
    if value is None:
        return []
    if question.kind in TEXT_KINDS:
        return [value] if isinstance(value, str) else None
    if question.kind == "yesno":
        return [str(int(value))] if isinstance(value, bool) else None
    if question.kind == "multiple":
        if not isinstance(value, list) or not all(_is_whole(each) for each in value):
            return None
        return [str(each) for each in value]
    return [str(value)] if _is_whole(value) else None


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _answers_of(response_ids: list[int], questions: list[Question]) -> dict[int, dict[str, Any]]:
    """The answers of these responses as the API gives them, by response and then by question id."""
    kinds = {question.id: question.kind for question in questions}
    answers: dict[int, dict[str, Any]] = {response_id: {} for response_id in response_ids}
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_id, Answer.value, Answer.text)
        .where(Answer.response_id.in_(response_ids))
        .order_by(Answer.id)
    )
    for response_id, question_id, value, text in rows:
        kind = kinds.get(question_id)
        mine = answers[response_id]
        if kind == "multiple":
            mine.setdefault(str(question_id), []).append(value)
        elif kind == "yesno":
            mine[str(question_id)] = bool(value)
        elif kind is not None:
            mine[str(question_id)] = text if kind in TEXT_KINDS else value
    return answers


def _response_out(survey: Survey, response: Response, questions: list[Question]) -> dict[str, Any]:
    return _responses_out(survey, [response], questions)[0]


def _responses_out(
    survey: Survey, responses: list[Response], questions: list[Question]
) -> list[dict[str, Any]]:
    """Responses as the API gives them: an anonymous survey's with no id, customer or time."""
    answers = _answers_of([response.id for response in responses], questions)
    named = not survey.anonymous
    return [
        {
            "id": response.id if named else None,
            "survey_id": survey.id,
            "customer_id": response.customer_id if named else None,
            "subject": response.subject if named else None,
            "submitted_at": response.submitted_at if named else None,
            "answers": answers[response.id],
        }
        for response in responses
    ]


@api.route("/<int:survey_id>/results")
@api.etag
@api.arguments(ResultsArguments, location="query")
@api.response(200, ResultsSchema)
@api_access("agent", "surveys:read")
def survey_results(arguments: dict[str, Any], survey_id: int) -> Any:
    """The results page's figures: counts per answer, averages, NPS, the response rate and the trend.

    Days are UTC days, the end day included. An anonymous survey cannot be narrowed to a segment.
    """
    survey = _survey(current_api_user(), survey_id)
    if arguments["segment"] and survey.anonymous:
        api_abort(422, errors={"query": {"segment": ["An anonymous survey's results cannot be narrowed."]}})
    start, end = arguments["start"], arguments["end"]
    figures = results.results(
        survey,
        datetime.combine(start, datetime.min.time()) if start else None,
        datetime.combine(end + timedelta(days=1), datetime.min.time()) if end else None,
        arguments["segment"],
    )
    return {
        "survey_id": survey.id,
        "responses": figures["responses"],
        "invited": figures["invited"],
        "rate": figures["rate"],
        "questions": [
            _question_result(each) for each in cast(list[results.QuestionResult], figures["questions"])
        ],
        "trend": [
            {"day": day, "responses": count} for day, count in cast(list[tuple[date, int]], figures["trend"])
        ],
    }


def _question_result(result: results.QuestionResult) -> dict[str, Any]:
    low = (result.question.bounds() or (0, 0))[0]
    return {
        "question_id": result.question.id,
        "kind": result.question.kind,
        "text": localized(result.question, "text"),
        "answered": result.answered,
        "bars": [
            {"value": low + place, "label": bar.label, "count": bar.count, "share": bar.share}
            for place, bar in enumerate(result.bars)
        ],
        "average": result.average,
        "nps": result.nps,
    }


@api.route("/<int:survey_id>/responses")
@api.etag
@api.arguments(ResponseListArguments, location="query")
@api.response(200, ResponsePage)
@api_access("agent", "surveys:read")
def list_responses(arguments: dict[str, Any], survey_id: int) -> Any:
    """Submitted responses, oldest submission first; an anonymous survey's in respondent-key order.

    An anonymous survey's responses name nobody and carry no time, and cannot be asked for by time:
    the order of submission would link an answer to whoever the audit log shows calling then.
    """
    survey = _survey(current_api_user(), survey_id)
    query = select(Response).where(Response.survey_id == survey.id, Response.submitted_at.is_not(None))
    if survey.anonymous:
        if arguments["updated_since"]:
            api_abort(
                422, errors={"query": {"updated_since": ["An anonymous survey's responses have no time."]}}
            )
        page = api_page(query, [Response.respondent], arguments)
    else:
        if arguments["updated_since"]:
            query = query.where(Response.submitted_at >= arguments["updated_since"])
        page = api_page(query, [Response.submitted_at, Response.id], arguments)
    return {**page, "items": _responses_out(survey, page["items"], questions_of(survey.id))}
