"""The surveys plugin's contributions to the core: navigation, notifications, slots, panels, data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import case, delete, func, select

from portal.plugin import (
    Event,
    NavItem,
    NotificationType,
    Panel,
    ScheduledTask,
    User,
    Widget,
    db,
    localized,
    utcnow,
)

from . import apology_step, invitations, library, respondents, results
from .models import Answer, Contact, Invitation, OptOut, Question, Response, Survey


def nav_items(user: User | None) -> list[NavItem]:
    if user is None or user.is_staff:
        return []
    return [NavItem(label=_l("Surveys"), endpoint="surveys.index", order=60, icon="clipboard-list")]


def dashboard_widgets(user: User | None) -> list[Widget]:
    if user is None or user.is_staff:
        return []
    return [Widget(name="surveys.waiting", title=_l("Surveys"), endpoint="surveys.widget", order=60)]


def staff_nav_items() -> list[NavItem]:
    return [NavItem(label=_l("Surveys"), endpoint="surveys_staff.staff_index", order=60)]


def notification_types() -> list[NotificationType]:
    return [
        NotificationType(
            kind=invitations.INVITE_KIND,
            label=_l("Survey invitations"),
            description=_l("Now and then, a short survey about our service. You can opt out at /surveys."),
        )
    ]


def scheduled_tasks() -> list[ScheduledTask]:
    return [
        ScheduledTask(name="surveys.send", every=timedelta(minutes=5), function=invitations.scheduled_run)
    ]


def handle_event(event: Event) -> None:
    """tickets.rated is a question asked; an event a survey waits for queues its invitation.

    Any declared event may trigger a survey, so only what every event has is read: the customer it is
    about, and a ``ticket_id`` field when its type has one (the subject a CSAT survey asks about).
    """
    ticket_id = getattr(event.data, "ticket_id", None)
    subject = f"ticket:{ticket_id}" if isinstance(ticket_id, int) else None
    if event.name == "tickets.rated":
        invitations.record_rating(event.customer_id, subject, event.id)
    if event.name.startswith("surveys."):
        return
    invitations.on_trigger(event.name, event.customer_id, subject, event.id)


def template_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """On the staff ticket page: the CSAT answer about that ticket; the apology's follow-up survey step."""
    if slot == "tickets.apology":
        return apology_step.render_step(context)
    if slot != "tickets.staff_details":
        return None
    if not getattr(current_user, "is_staff", False):
        return None
    found = results.ticket_csat(context.get("ticket_id"))
    if found is None:
        return None
    score, comment = found
    return Markup(render_template("surveys/ticket_csat.html", score=score, comment=comment))  # noqa: S704


def customer_panels(customer: User) -> list[Panel]:
    invited, answered = db.session.execute(
        select(
            func.count(Invitation.id),
            func.coalesce(func.sum(case((Invitation.status == "answered", 1), else_=0)), 0),
        ).where(Invitation.customer_id == customer.id, Invitation.status.in_(("sent", "answered")))
    ).one()
    return [
        Panel(
            name="surveys.activity",
            title=_l("Surveys"),
            template="surveys/customer_panel.html",
            context={
                "invited": invited,
                "answered": answered,
                "opted_out": db.session.get(OptOut, customer.id) is not None,
            },
            order=60,
        )
    ]


def export_customer_data(user: User) -> dict[str, Any] | None:
    """Invitations, the opt-out and the non-anonymous answers, titled in the customer's language."""
    language = user.language
    invitations = [
        {
            "survey": localized(survey, "title", language),
            "status": status,
            "sent_at": sent.isoformat() if sent else None,
        }
        for survey, status, sent in db.session.execute(
            select(Survey, Invitation.status, Invitation.sent_at)
            .join(Survey, Survey.id == Invitation.survey_id)
            .where(Invitation.customer_id == user.id)
            .order_by(Invitation.id)
        )
    ]
    answers = [
        {
            "survey": localized(survey, "title", language),
            "question": localized(question, "text", language),
            "value": value,
            "text": answer_text,
        }
        for survey, question, value, answer_text in db.session.execute(
            select(Survey, Question, Answer.value, Answer.text)
            .join(Response, Response.id == Answer.response_id)
            .join(Survey, Survey.id == Response.survey_id)
            .join(Question, Question.id == Answer.question_id)
            .where(Response.customer_id == user.id)
            .order_by(Answer.id)
        )
    ]
    opted_out = db.session.get(OptOut, user.id) is not None
    if not invitations and not answers and not opted_out:
        return None
    return {"invitations": invitations, "answers": answers, "opted_out": opted_out}


def erase_customer_data(user: User) -> None:
    """Answers that name the customer go, and every draft; submitted anonymous answers stay unlinkable.

    Drafts of anonymous surveys are found through the customer's respondent keys, then the salt
    behind those keys goes too, so no later account, even with the same id, can find what is left.
    """
    respondents.erase_respondent(user.id)
    db.session.execute(delete(Response).where(Response.customer_id == user.id))
    db.session.execute(delete(Invitation).where(Invitation.customer_id == user.id))
    db.session.execute(delete(Contact).where(Contact.customer_id == user.id))
    db.session.execute(delete(OptOut).where(OptOut.customer_id == user.id))


def load_demo_data(customers: list[User]) -> None:
    """An NPS survey with answers, and the CSAT-after-a-ticket survey waiting for tickets; once."""
    if db.session.scalar(select(Survey.id).where(Survey.template == "nps").limit(1)):
        return
    nps, questions = library.build("nps", None)
    nps.status = "published"
    nps.audience_key = "all-customers"
    db.session.add(nps)
    db.session.flush()
    for question in questions:
        question.survey_id = nps.id
        db.session.add(question)
    db.session.flush()
    comments = ["Quick answers, thank you.", "The portal is easy to use.", "", "Prices went up."]
    for index, person in enumerate(customers):
        db.session.add(
            Invitation(survey_id=nps.id, customer_id=person.id, status="answered", sent_at=utcnow())
        )
        response = Response(
            survey_id=nps.id,
            respondent=respondents.respondent_key(nps.id, person.id),
            customer_id=person.id,
            submitted_at=utcnow() - timedelta(days=index),
        )
        db.session.add(response)
        db.session.flush()
        db.session.add(
            Answer(response_id=response.id, question_id=questions[0].id, value=(10, 9, 7, 4)[index % 4])
        )
        if comments[index % 4]:
            db.session.add(
                Answer(response_id=response.id, question_id=questions[1].id, text=comments[index % 4])
            )
    csat, csat_questions = library.build("csat_ticket", None)
    csat.status = "published"
    db.session.add(csat)
    db.session.flush()
    for question in csat_questions:
        question.survey_id = csat.id
        db.session.add(question)
