"""The follow-up survey of a complaint's apology: the step surveys add to the ``tickets.apology`` slot.

After an apology the business asks how it did; the agent picks a published survey (the CSAT one
after a ticket, when there is one) and the customer is invited at once, through the invitation path
that keeps anyone from being nagged. The step says what was already sent about this ticket, so the
agent never asks twice by accident. Invitations name the ticket as their subject (``ticket:<id>``),
as those a ticket's event queues do.

The form posts to this plugin's route and comes back to the ticket's page; a refusal waits in the
agent's session for the step to show again, with their choice kept.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.plugin import db, keep_slot_draft, staff_slot_customer, take_slot_draft, utcnow

from .models import Contact, Invitation, Survey

DRAFT_KEY = "surveys.apology_invite"
CHOICES_MAX = 50
CSAT_TEMPLATE = "csat_ticket"


class TicketSurveyForm(FlaskForm):
    """Which survey to send after a ticket; the ticket and the page to come back to ride along."""

    survey_id = SelectField(_l("Survey"), validate_choice=False, validators=[DataRequired(), Length(max=10)])
    ticket_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,10}$")])
    next = HiddenField(validators=[Optional(), Length(max=300)])


def ticket_subject(ticket_id: int) -> str:
    """The subject an invitation about this ticket carries."""
    return f"ticket:{ticket_id}"


def open_surveys() -> list[Survey]:
    """The published surveys open now, the CSAT-after-a-ticket ones first, then by title."""
    now = utcnow()
    found = db.session.scalars(
        select(Survey)
        .where(Survey.status == "published")
        .order_by((Survey.template == CSAT_TEMPLATE).desc(), Survey.title, Survey.id)
        .limit(CHOICES_MAX)
    ).all()
    return [survey for survey in found if survey.is_open(now)]


def sent_for_ticket(customer_id: int, ticket_id: int) -> list[tuple[Invitation, Survey]]:
    """The invitations about this ticket (queued, sent, answered or skipped), oldest first."""
    return [
        (invitation, survey)
        for invitation, survey in db.session.execute(
            select(Invitation, Survey)
            .join(Survey, Survey.id == Invitation.survey_id)
            .where(Invitation.customer_id == customer_id, Invitation.subject == ticket_subject(ticket_id))
            .order_by(Invitation.id)
        ).tuples()
    ]


def keep_draft(ticket_id: int, survey_id: str, error: str) -> None:
    """Keep a refused choice for the step to show again, with why nothing was sent."""
    keep_slot_draft(DRAFT_KEY, ticket_id, {"survey_id": survey_id[:10], "error": error})


def render_step(context: dict[str, Any]) -> Markup | None:
    """The follow-up survey step of the apology, for staff."""
    found = staff_slot_customer(context, "ticket_id")
    if found is None:
        return None
    customer, ticket_id = found
    customer_id = customer.id
    invited = sent_for_ticket(customer_id, ticket_id)
    surveys = open_surveys()
    draft = take_slot_draft(DRAFT_KEY, ticket_id)
    queued = [survey.id for invitation, survey in invited if invitation.status == "pending"]
    chosen = draft["survey_id"] if draft else str(queued[0] if queued else (surveys[0].id if surveys else ""))
    form = TicketSurveyForm(formdata=None, survey_id=chosen, ticket_id=str(ticket_id), next=request.path)
    form.survey_id.choices = [SelectChoice(str(survey.id), survey.title) for survey in surveys]
    last_asked = db.session.scalar(
        select(func.max(Contact.asked_at)).where(Contact.customer_id == customer_id)
    )
    return Markup(  # noqa: S704  (autoescaped template output)
        render_template(
            "surveys/apology_step.html",
            form=form,
            customer_id=customer_id,
            invited=invited,
            offer=bool(surveys) and not any(inv.status in ("sent", "answered") for inv, _s in invited),
            last_asked=last_asked,
            error=draft["error"] if draft else None,
        )
    )
