"""Invitations: who is asked, when, through which signed link, and the reminders that follow.

Asking without nagging is the job: a customer who opted out, was asked about the same thing, or was
asked anything within the waiting period is skipped. Invitations are queued when a survey is
published or an event triggers one, and ``portal tick`` sends the due ones. Sending, skipping and
reminding are compare-and-set, so two ticks at once ask nobody twice. The caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import CursorResult, delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from portal.plugin import (
    User,
    db,
    keyset_page,
    localized,
    notify,
    rows_matched,
    segment_member_ids,
    utcnow,
)

from . import events
from .models import Contact, Invitation, OptOut, Survey
from .respondents import answered_anonymously
from .settings import setting
from .sql import insert_new_only

INVITE_KIND = "surveys.invitation"
BATCH = 200
WAITING_PAGE = 20
TOKEN_MAX = 200


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="surveys.invitation")


def invitation_token(invitation_id: int) -> str:
    """The signed, expiring part of an invitation's link: nobody can make one for another invitation."""
    return _serializer().dumps(invitation_id)


def invitation_from_token(token: str) -> int | None:
    """The invitation a link names; None when the link is forged, broken or older than the set days."""
    try:
        value = _serializer().loads(token[:TOKEN_MAX], max_age=setting("link_days") * 86400)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def opted_out(customer_id: int) -> bool:
    """Whether the customer asked to receive no surveys: then no invitation or reminder goes out."""
    return db.session.get(OptOut, customer_id) is not None


def set_opt_out(customer_id: int, out: bool) -> None:
    """Record the customer's choice; clicking twice, even at once, records it once."""
    if out:
        db.session.execute(insert_new_only(OptOut).values(customer_id=customer_id, created_at=utcnow()))
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
    added = cast(
        CursorResult[Any],
        db.session.execute(
            insert_new_only(Invitation)
            .from_select(["survey_id", "customer_id", "status", "due_at", "reminders"], chosen)
            .execution_options(preserve_rowcount=True)
        ),
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
        if _send(invitation, survey, customer, now):
            sent += 1
    return sent


def _send(invitation: Invitation, survey: Survey, customer: User, now: datetime) -> bool:
    """Send a pending invitation: the contact, the notification, ``surveys.invited``; False if taken.

    Only the run that moves it from pending sends it: two runs at once ask nobody twice.
    """
    if not _move_pending(invitation.id, status="sent", sent_at=now):
        return False
    db.session.add(Contact(customer_id=customer.id, subject=invitation.subject, asked_at=now))
    _notify(customer, survey, invitation, reminder=False)
    events.invited(survey.id, customer.id)
    return True


def invite_now(
    survey: Survey, customer: User, subject: str | None, now: datetime | None = None
) -> str | None:
    """Invite the customer to ``survey`` at once, as staff ask after a ticket; ``None`` when it was sent.

    Otherwise the reason in words, and nothing changed. The tick's rules hold (an open survey, no
    opt-out, not asked about the same subject, not within the waiting period), and a customer is
    invited to a survey once: an invitation already queued for them (by the survey's trigger) is sent
    now instead of waiting. The caller commits.
    """
    now = now or utcnow()
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.survey_id == survey.id, Invitation.customer_id == customer.id)
    )
    if invitation is not None and invitation.status != "pending":
        return str(_l("The customer was already invited to this survey; choose another one."))
    candidate = invitation or Invitation(
        survey_id=survey.id, customer_id=customer.id, subject=subject, status="pending", due_at=now
    )
    reason = _skip_reason(candidate, survey, now)
    if reason is not None:
        return str(SKIP_WORDS[reason])
    if invitation is None:
        try:
            with db.session.begin_nested():
                db.session.add(candidate)
                db.session.flush()
        except IntegrityError:
            return str(_l("The customer was already invited to this survey; choose another one."))
    if not _send(candidate, survey, customer, now):
        return str(_l("The customer was already invited to this survey; choose another one."))
    return None


# Why ``invite_now`` sent nothing, for the agent who asked; the tick's own reasons for skipping.
SKIP_WORDS = {
    "closed": _l("This survey is not open now; choose a published, open one."),
    "opted_out": _l("The customer opted out of surveys, so none is sent."),
    "already_asked": _l("The customer was already asked about this ticket."),
    "waiting_period": _l(
        "The customer was asked for their opinion recently; so as not to nag, none is sent now."
    ),
}


def _move_pending(invitation_id: int, **values: object) -> bool:
    """Change a pending invitation; False when another run changed it first."""
    moved = rows_matched(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return moved == 1


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
        counted = rows_matched(
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.status == "sent",
                Invitation.reminders == invitation.reminders,
            )
            .values(reminders=invitation.reminders + 1, last_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if counted != 1:
            continue
        _notify(customer, survey, invitation, reminder=True)
        reminded += 1
    return reminded


def _notify(customer: User, survey: Survey, invitation: Invitation, reminder: bool) -> None:
    # Built by hand: invitations go out from ``portal tick``, where there is no request to build URLs.
    url = f"/surveys/invitation/{invitation_token(invitation.id)}"
    survey_title = localized(survey, "title", customer.language)[:150]
    title = (
        _l("Reminder: %(title)s", title=survey_title)
        if reminder
        else _l("A short survey: %(title)s", title=survey_title)
    )
    body = _l("We would value your answer. It takes a minute, and you can stop and come back later.")
    notify(customer, INVITE_KIND, title=title, body=body, url=url)


def scheduled_run() -> None:
    """``portal tick``: send the invitations that are due, then the reminders."""
    send_due_invitations()
    send_reminders()


def waiting_for(
    customer_id: int, before: str | None, now: datetime
) -> tuple[list[tuple[Invitation, Survey]], str | None]:
    """A page of the surveys the customer was sent, open and not yet answered, newest invitation first.

    Returns (invitation, survey) pairs and the cursor of the next page. An anonymous survey's
    invitation never records an answer, so the customer's own respondent keys are asked instead.
    """
    query = (
        select(Invitation, Survey)
        .join(Survey, Survey.id == Invitation.survey_id)
        .where(Invitation.customer_id == customer_id, Invitation.status == "sent")
    )
    page = keyset_page(
        query, [Invitation.id], cursor=before, size=WAITING_PAGE, descending=True, scalars=False
    )
    answered = answered_anonymously(customer_id, [s.id for _i, s in page.items if s.anonymous])
    waiting = [
        (inv, survey) for inv, survey in page.items if survey.is_open(now) and survey.id not in answered
    ]
    return waiting, page.next_cursor


def waiting_count(customer_id: int) -> int:
    """How many published surveys the customer was sent and has not answered, for the dashboard tile."""
    invited = db.session.execute(
        select(Survey.id, Survey.anonymous)
        .join(Invitation, Invitation.survey_id == Survey.id)
        .where(
            Invitation.customer_id == customer_id,
            Invitation.status == "sent",
            Survey.status == "published",
        )
    ).all()
    answered = answered_anonymously(customer_id, [sid for sid, anonymous in invited if anonymous])
    return len([sid for sid, _anonymous in invited if sid not in answered])


def invited_survey(token: str, customer_id: int) -> int | None:
    """The survey a signed invitation link opens, if the link is valid and was sent to this customer."""
    invitation_id = invitation_from_token(token)
    if not invitation_id:
        return None
    return db.session.scalar(
        select(Invitation.survey_id).where(
            Invitation.id == invitation_id, Invitation.customer_id == customer_id
        )
    )
