"""Goodwill in a complaint's apology: the step loyalty adds to the tickets plugin's ``tickets.apology`` slot.

The tickets plugin offers the apology on a resolved complaint and knows nothing of points; this
module shows, on that panel, the goodwill already given for the ticket (or waiting for an
administrator) and the form to give it, prefilled with a reason in the customer's language. The
entry records the ticket, so the customer and staff can follow the points back to it.

The form posts to this plugin's own route and comes back to the ticket's page; when it is refused,
what the agent typed waits in their session for the step to show again with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from portal.plugin import User, db, keep_slot_draft, staff_slot_customer, take_slot_draft

from . import grants
from .forms import TicketGoodwillForm
from .models import Entry, GoodwillRequest
from .views import new_key

DRAFT_KEY = "loyalty.apology_goodwill"


@dataclass(frozen=True)
class TicketGoodwill:
    """What was done for one ticket: goodwill credited, sent for approval and not decided, and declined."""

    granted: list[Entry]
    waiting: list[GoodwillRequest]
    declined: list[GoodwillRequest]


def ticket_goodwill(customer_id: int, ticket_id: int) -> TicketGoodwill:
    """Goodwill given to ``customer_id`` for ``ticket_id``, oldest first; an approved request is granted."""
    granted = db.session.scalars(
        select(Entry)
        .where(Entry.user_id == customer_id, Entry.ticket_id == ticket_id, Entry.kind == "goodwill")
        .order_by(Entry.id)
    ).all()
    not_granted = db.session.scalars(
        select(GoodwillRequest)
        .outerjoin(Entry, Entry.source == GoodwillRequest.source)
        .where(
            GoodwillRequest.user_id == customer_id,
            GoodwillRequest.ticket_id == ticket_id,
            Entry.id.is_(None),
        )
        .order_by(GoodwillRequest.created_at)
    ).all()
    return TicketGoodwill(
        granted=list(granted),
        waiting=[asked for asked in not_granted if asked.declined_at is None],
        declined=[asked for asked in not_granted if asked.declined_at is not None],
    )


def apology_reason(customer: User, ticket_id: int) -> str:
    """The reason the form starts with, in the customer's language: they are the one who reads it."""
    with force_locale(customer.language or None):
        return _("Apology for ticket #%(number)d", number=ticket_id)


def keep_draft(ticket_id: int, points: str, reason: str, error: str) -> None:
    """Keep a refused form's values for the step to show again, with why it was refused."""
    keep_slot_draft(DRAFT_KEY, ticket_id, {"points": points[:12], "reason": reason[:300], "error": error})


def render_step(context: dict[str, Any]) -> Markup | None:
    """The goodwill step of the apology, for staff; nothing for a customer that is gone."""
    found = staff_slot_customer(context, "ticket_id")
    if found is None:
        return None
    customer, ticket_id = found
    customer_id = customer.id
    draft = take_slot_draft(DRAFT_KEY, ticket_id)
    form = TicketGoodwillForm(
        formdata=None,
        request_key=new_key(),
        ticket_id=str(ticket_id),
        next=request.path,
        points=draft["points"] if draft else "",
        reason=draft["reason"] if draft else apology_reason(customer, ticket_id),
    )
    return Markup(  # noqa: S704  (autoescaped template output)
        render_template(
            "loyalty/apology_goodwill.html",
            form=form,
            customer_id=customer_id,
            done=ticket_goodwill(customer_id, ticket_id),
            error=draft["error"] if draft else None,
            limit=grants.grant_limit(current_user.role),
        )
    )
