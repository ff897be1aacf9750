"""The apology's actions sent from 20 tabs at once: one apology reply, one goodwill credit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugins.loyalty.models import Entry
from plugins.tickets import service as tickets
from plugins.tickets.models import Message
from portal.accounts.models import User
from portal.database import db
from portal.events import StoredEvent
from portal.testing import csrf_token
from portal.testing.races import race, same_browser

pytestmark = pytest.mark.plugins("tickets", "loyalty", "surveys")

ATTEMPTS = 20


def resolved_complaint(app, customer_id: int, agent_id: int) -> int:
    with app.test_request_context("/"):
        customer, agent = db.session.get(User, customer_id), db.session.get(User, agent_id)
        ticket, _message = tickets.open_ticket(
            customer, subject="Broken vase", body="In pieces.", category="complaint", priority="normal"
        )
        tickets.change_status(ticket, "resolved", agent)
        db.session.commit()
        return ticket.id


def test_the_apology_and_its_goodwill_sent_from_twenty_tabs_act_once(app, client, login_as, make_user):
    customer = make_user("customer")
    agent = login_as("agent")
    ticket_id = resolved_complaint(app, customer.id, agent.id)
    tabs = same_browser(client, ATTEMPTS)
    tokens = [csrf_token(tab) for tab in tabs]
    with app.app_context():
        replies_before = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.ticket_id == ticket_id)
        )
    apology = race(
        ATTEMPTS,
        lambda n: (
            tabs[n]
            .post(
                f"/staff/tickets/{ticket_id}/apology", data={"csrf_token": tokens[n], "body": "We are sorry."}
            )
            .status_code
        ),
    )
    goodwill = race(
        ATTEMPTS,
        lambda n: (
            tabs[n]
            .post(
                f"/staff/loyalty/customers/{customer.id}/ticket-goodwill",
                data={
                    "csrf_token": tokens[n],
                    "points": "50",
                    "reason": "Sorry",
                    "ticket_id": str(ticket_id),
                    "request_key": "one-form",
                    "next": f"/staff/tickets/{ticket_id}",
                },
            )
            .status_code
        ),
    )
    assert all(status in (302, 303) for status in apology + goodwill), (apology, goodwill)
    with app.app_context():
        replies = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.ticket_id == ticket_id)
        )
        announced = db.session.scalar(
            select(func.count()).select_from(StoredEvent).where(StoredEvent.name == "tickets.apology_sent")
        )
        credited = db.session.scalars(select(Entry.points).where(Entry.user_id == customer.id)).all()
    assert (replies - replies_before, announced) == (1, 1)
    assert credited == [50]
