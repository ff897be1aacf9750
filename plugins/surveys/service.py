"""What the surveys plugin does: inviting without nagging, answering, and results from aggregate SQL."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Insert, and_, delete, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from portal.plugin import Page, User, db, in_segment, keyset_page, notify, segment_member_ids, utcnow

from . import events
from .models import (
    CHOICE_KINDS,
    LONG_TEXT_MAX,
    SHORT_TEXT_MAX,
    TEXT_KINDS,
    Answer,
    Contact,
    Invitation,
    OptOut,
    Question,
    RespondentSalt,
    Response,
    Survey,
)
from .settings import setting

INVITE_KIND = "surveys.invitation"
BATCH = 200
_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _insert_new_only(table: type) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: a row another request inserted first is left as it is."""
    return _INSERT[db.session.get_bind().dialect.name](table).on_conflict_do_nothing()


# --- signed links -----------------------------------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="surveys.invitation")


def invitation_token(invitation_id: int) -> str:
    return _serializer().dumps(invitation_id)


def invitation_from_token(token: str) -> int | None:
    try:
        value = _serializer().loads(token[:200], max_age=setting("link_days") * 86400)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


# --- respondent keys ----------------------------------------------------------------------------------
def _salt_of(customer_id: int) -> str | None:
    return db.session.scalar(select(RespondentSalt.salt).where(RespondentSalt.customer_id == customer_id))


def _salt_made_for(customer_id: int) -> str:
    """The account's salt, made on first use; two first uses at once keep the same one."""
    salt = _salt_of(customer_id)
    if salt is None:
        db.session.execute(
            _insert_new_only(RespondentSalt).values(
                customer_id=customer_id, salt=secrets.token_hex(32), created_at=utcnow()
            )
        )
        salt = _salt_of(customer_id)
        assert salt is not None
    return salt


def _key(survey_id: int, customer_id: int, salt: str) -> str:
    # An empty salt is an account from before salts existed: its responses carry the unsalted key.
    message = f"surveys:{survey_id}:{customer_id}" + (f":{salt}" if salt else "")
    secret = str(current_app.secret_key).encode()
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def respondent_key(survey_id: int, customer_id: int) -> str:
    """A keyed hash standing for the customer in the survey: unique, but not an identity.

    It is keyed with the app's secret and the account's own random salt, which is erased with the
    account: a later account given the same id (SQLite reuses the highest id) gets another salt, so
    it can never find, continue or read an erased account's anonymous draft.
    """
    return _key(survey_id, customer_id, _salt_made_for(customer_id))


def respondent_keys(customer_id: int, survey_ids: list[int]) -> dict[str, int]:
    """The customer's keys in these surveys, mapped to the survey; none for an account with no salt yet."""
    salt = _salt_of(customer_id)
    if salt is None:
        return {}
    return {_key(survey_id, customer_id, salt): survey_id for survey_id in survey_ids}


def answered_anonymously(customer_id: int, survey_ids: list[int]) -> set[int]:
    """Which of these anonymous surveys the customer has answered, found through their own keys.

    An anonymous survey's invitation never records an answer (staff would see it); the customer's
    list, tile and reminders ask here instead.
    """
    keys = respondent_keys(customer_id, survey_ids)
    if not keys:
        return set()
    found = db.session.scalars(
        select(Response.respondent).where(
            Response.survey_id.in_(survey_ids),
            Response.respondent.in_(list(keys)),
            Response.submitted_at.is_not(None),
        )
    )
    return {keys[respondent] for respondent in found}


def erase_respondent(customer_id: int) -> None:
    """Remove the customer's unsubmitted drafts, anonymous ones too, then the salt that found them.

    Submitted anonymous answers stay for the results; without the salt nobody can link them to
    anyone any more.
    """
    drafted = list(
        db.session.scalars(select(Response.survey_id).where(Response.submitted_at.is_(None)).distinct())
    )
    keys = respondent_keys(customer_id, drafted)
    if keys:
        db.session.execute(
            delete(Response).where(
                Response.survey_id.in_(drafted),
                Response.respondent.in_(list(keys)),
                Response.submitted_at.is_(None),
            )
        )
    db.session.execute(delete(RespondentSalt).where(RespondentSalt.customer_id == customer_id))


# --- inviting -----------------------------------------------------------------------------------------
def opted_out(customer_id: int) -> bool:
    return db.session.get(OptOut, customer_id) is not None


def set_opt_out(customer_id: int, out: bool) -> None:
    """Record the customer's choice; clicking twice, even at once, records it once."""
    if out:
        db.session.execute(_insert_new_only(OptOut).values(customer_id=customer_id, created_at=utcnow()))
    else:
        db.session.execute(delete(OptOut).where(OptOut.customer_id == customer_id))


def invite_audience(survey: Survey) -> int:
    """Queue an invitation for every member of the survey's segment not yet invited; sent by the tick."""
    if not survey.audience_key:
        return 0
    already = select(Invitation.customer_id).where(Invitation.survey_id == survey.id)
    members = segment_member_ids(survey.audience_key).subquery()
    now = utcnow()
    chosen = select(literal(survey.id), members.c[0], literal("pending"), literal(now), literal(0)).where(
        members.c[0].not_in(already)
    )
    # Publishing twice at once: the (survey, customer) key keeps one invitation each, without an error.
    added = db.session.execute(
        _insert_new_only(Invitation)
        .from_select(["survey_id", "customer_id", "status", "due_at", "reminders"], chosen)
        .execution_options(preserve_rowcount=True)
    )
    return added.rowcount


def on_trigger(event_name: str, customer_id: int | None, subject: str | None, event_id: int) -> None:
    """An event that triggers surveys: queue one invitation per published survey, due after its delay."""
    if customer_id is None:
        return
    surveys = db.session.scalars(
        select(Survey).where(Survey.status == "published", Survey.trigger_event == event_name)
    )
    for survey in surveys:
        taken = db.session.scalar(
            select(Invitation.id).where(
                Invitation.survey_id == survey.id, Invitation.customer_id == customer_id
            )
        )
        if taken:
            continue
        db.session.add(
            Invitation(
                survey_id=survey.id,
                customer_id=customer_id,
                subject=subject,
                status="pending",
                due_at=utcnow() + timedelta(hours=survey.trigger_delay_hours),
            )
        )
        db.session.flush()


def record_rating(customer_id: int | None, subject: str | None, event_id: int) -> None:
    """A ticket rated is a question asked: it starts the waiting period and answers that ticket."""
    if customer_id is None:
        return
    if db.session.scalar(select(Contact.id).where(Contact.event_id == event_id)):
        return
    db.session.add(Contact(customer_id=customer_id, subject=subject, event_id=event_id))
    db.session.flush()


def _skip_reason(invitation: Invitation, survey: Survey, now: datetime) -> str | None:
    if not survey.is_open(now):
        return "closed"
    if opted_out(invitation.customer_id):
        return "opted_out"
    if invitation.subject and db.session.scalar(
        select(Contact.id).where(
            Contact.customer_id == invitation.customer_id, Contact.subject == invitation.subject
        )
    ):
        return "already_asked"
    wait = survey.wait_days_override if survey.wait_days_override is not None else setting("wait_days")
    if wait and db.session.scalar(
        select(Contact.id).where(
            Contact.customer_id == invitation.customer_id, Contact.asked_at > now - timedelta(days=wait)
        )
    ):
        return "waiting_period"
    return None


def send_due_invitations(now: datetime | None = None) -> int:
    """Send the invitations that are due, a batch at a time; skip those that would nag."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Invitation)
        .where(Invitation.status == "pending", Invitation.due_at <= now)
        .order_by(Invitation.due_at, Invitation.id)
        .limit(BATCH)
    ).all()
    sent = 0
    for invitation in due:
        survey = db.session.get(Survey, invitation.survey_id)
        customer = db.session.get(User, invitation.customer_id)
        if survey is None or customer is None:
            continue
        if survey.status == "published" and survey.opens_at and now < survey.opens_at:
            _move_pending(invitation.id, due_at=survey.opens_at)
            continue
        if _skip_reason(invitation, survey, now):
            _move_pending(invitation.id, status="skipped")
            continue
        # Only the run that moves it from pending sends it: two runs at once ask nobody twice.
        if not _move_pending(invitation.id, status="sent", sent_at=now):
            continue
        db.session.add(Contact(customer_id=customer.id, subject=invitation.subject, asked_at=now))
        _notify(customer, survey, invitation, reminder=False)
        events.invited(survey.id, customer.id)
        sent += 1
    return sent


def _move_pending(invitation_id: int, **values: object) -> bool:
    """Change a pending invitation; False when another run changed it first."""
    moved = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def send_reminders(now: datetime | None = None) -> int:
    """Remind customers of unanswered invitations, until they have ignored the set number of them."""
    now = now or utcnow()
    limit = setting("max_reminders")
    if limit <= 0:
        return 0
    since = now - timedelta(days=setting("reminder_days"))
    last = func.coalesce(Invitation.last_reminded_at, Invitation.sent_at)
    rows = db.session.scalars(
        select(Invitation)
        .where(Invitation.status == "sent", Invitation.reminders < limit, last <= since)
        .order_by(Invitation.id)
        .limit(BATCH)
    ).all()
    reminded = 0
    for invitation in rows:
        survey = db.session.get(Survey, invitation.survey_id)
        customer = db.session.get(User, invitation.customer_id)
        if survey is None or customer is None or not survey.is_open(now) or opted_out(customer.id):
            continue
        if survey.anonymous and answered_anonymously(customer.id, [survey.id]):
            continue
        # Counted with a compare-and-set on the number already sent: two runs at once remind once.
        counted = db.session.execute(
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.status == "sent",
                Invitation.reminders == invitation.reminders,
            )
            .values(reminders=invitation.reminders + 1, last_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if counted.rowcount != 1:
            continue
        _notify(customer, survey, invitation, reminder=True)
        reminded += 1
    return reminded


def _notify(customer: User, survey: Survey, invitation: Invitation, reminder: bool) -> None:
    # Built by hand: invitations go out from ``portal tick``, where there is no request to build URLs.
    url = f"/surveys/invitation/{invitation_token(invitation.id)}"
    title = (
        _l("Reminder: %(title)s", title=survey.title[:150])
        if reminder
        else _l("A short survey: %(title)s", title=survey.title[:150])
    )
    body = _l("We would value your answer. It takes a minute, and you can stop and come back later.")
    notify(customer, INVITE_KIND, title=title, body=body, url=url)


def scheduled_run() -> None:
    """``portal tick``: send the invitations that are due, then the reminders."""
    send_due_invitations()
    send_reminders()


# --- answering ----------------------------------------------------------------------------------------
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
    return bool(survey.audience_key) and in_segment(survey.audience_key, customer_id)


def questions_of(survey_id: int) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question).where(Question.survey_id == survey_id).order_by(Question.position, Question.id)
        )
    )


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
    held = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.submitted_at.is_(None))
        .values(started_at=Response.started_at)
        .execution_options(synchronize_session=False)
    )
    return held.rowcount == 1


def saved_answers(response_id: int) -> dict[int, list[Answer]]:
    saved: dict[int, list[Answer]] = {}
    for answer in db.session.scalars(
        select(Answer).where(Answer.response_id == response_id).order_by(Answer.id)
    ):
        saved.setdefault(answer.question_id, []).append(answer)
    return saved


@dataclass
class Parsed:
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
    done = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.submitted_at.is_(None))
        .values(submitted_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    if not survey.anonymous:
        db.session.execute(
            update(Invitation)
            .where(Invitation.survey_id == survey.id, Invitation.customer_id == customer_id)
            .values(status="answered")
        )
    events.completed(survey.id, response.id, customer_id, survey.anonymous)
    return True


# --- results ------------------------------------------------------------------------------------------
@dataclass
class Bar:
    label: str
    count: int
    share: float


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    average: float | None = None
    nps: dict[str, float] | None = None


def _submitted(survey_id: int, start: datetime | None, end: datetime | None, segment: str | None):
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
        "trend": [(str(day), count) for day, count in reversed(trend)],
    }


def _labels(question: Question) -> list[str]:
    if question.kind == "yesno":
        return [_("No"), _("Yes")]
    if question.kind in CHOICE_KINDS:
        return question.option_list
    low, high = question.bounds() or (0, 0)
    return [str(i) for i in range(low, high + 1)]


def text_answers(survey: Survey, question_id: int, before: str | None, limit: int = 20) -> Page:
    """The text answers to one question of submitted responses, a page at a time; rows have ``.text``.

    Newest first, unless the survey is anonymous: then in the order of the respondent keys, a keyed
    hash, so the list is stable but says nothing about who answered when.
    """
    where = and_(
        _submitted(survey.id, None, None, None), Answer.question_id == question_id, Answer.text.is_not(None)
    )
    if survey.anonymous:
        query = select(Response.respondent, Answer.text).join(Answer, Answer.response_id == Response.id)
        return keyset_page(
            query.where(where), [Response.respondent], cursor=before, size=limit, scalars=False
        )
    query = select(Answer.id, Answer.text).join(Response, Response.id == Answer.response_id)
    return keyset_page(
        query.where(where), [Answer.id], cursor=before, size=limit, descending=True, scalars=False
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


def has_exists(survey_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Response.survey_id == survey_id))))
