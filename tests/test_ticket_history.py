"""A ticket's history: who changed what and when, for staff in full and for the customer in part;
and macros, which change a ticket and answer it in one action."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from plugins.tickets.history import TicketChange
from plugins.tickets.models import Message, Ticket
from portal.database import db, utcnow
from portal.notifications.models import Notification
from portal.testing import TEST_PASSWORD, freeze_clock, log_in, post_form

pytestmark = pytest.mark.plugins("tickets")


def switch_to(client: FlaskClient, user) -> None:
    client.post("/logout", data={})
    client.delete_cookie("session")
    log_in(client, user.email, TEST_PASSWORD)


def open_ticket(client: FlaskClient, subject: str = "Parcel is late") -> int:
    data = {"subject": subject, "body": "Where is it?", "category": "problem", "priority": "normal"}
    response = post_form(client, "/tickets/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def changes(app: Flask, ticket_id: int) -> list[tuple[str, str | None, str | None, int | None]]:
    with app.app_context():
        rows = db.session.scalars(
            select(TicketChange).where(TicketChange.ticket_id == ticket_id).order_by(TicketChange.id)
        )
        return [(row.kind, row.old, row.new, row.actor_id) for row in rows]


def history_section(page: str) -> str:
    found = re.search(r'<section id="history".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_status_assignment_and_rating_are_kept_with_who_and_when(app, client, make_user):
    customer = make_user(name="Cyrus")
    agent = make_user("agent", name="Agent Ava", timezone="Asia/Tehran")
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    switch_to(client, agent)
    tomorrow = utcnow().date() + timedelta(days=1)  # signed forms and sessions refuse a past clock
    with freeze_clock(datetime.combine(tomorrow, time(9, 30))):
        assert post_form(client, f"/staff/tickets/{ticket_id}/claim", {}).status_code == 302
        post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "Found it."})
        assert (
            post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "resolved"}).status_code == 302
        )
    switch_to(client, customer)
    assert post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "4"}).status_code == 302

    assert changes(app, ticket_id) == [
        ("assigned", None, str(agent.id), agent.id),
        ("status", "new", "open", agent.id),
        ("status", "open", "resolved", agent.id),
        ("rated", None, "4", customer.id),
    ]
    switch_to(client, agent)
    history = history_section(client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True))
    assert "Assigned to <bdi>Agent Ava</bdi>." in history
    assert "Status changed from <bdi>Open</bdi> to <bdi>Resolved</bdi>." in history
    assert "Rated 4 out of 5." in history
    assert "<bdi>Cyrus</bdi>" in history and "<bdi>Agent Ava</bdi>" in history
    # When, in the reader's zone: 09:30 UTC is 13:00 in Tehran.
    assert re.search(r"1:00\W*PM", history), history
    assert len(re.findall(r"<li>", history)) == 4


def test_the_customer_sees_what_concerns_them_and_not_who_works_on_it(app, client, make_user):
    customer = make_user(name="Cyrus")
    agent = make_user("agent", name="Agent Ava")
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    switch_to(client, agent)
    post_form(client, f"/staff/tickets/{ticket_id}/claim", {})
    post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "waiting"})
    with app.app_context():
        from plugins.tickets import service
        from portal.accounts.models import User

        ticket = db.session.get(Ticket, ticket_id)
        service.change_priority(ticket, "urgent", db.session.get(User, agent.id))
        db.session.commit()
    staff_history = history_section(client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True))
    assert "Priority changed from <bdi>Normal</bdi> to <bdi>Urgent</bdi>." in staff_history

    switch_to(client, customer)
    history = history_section(client.get(f"/tickets/{ticket_id}").get_data(as_text=True))
    assert "Status changed from <bdi>New</bdi> to <bdi>Waiting on customer</bdi>." in history
    assert "Support team (Agent Ava)" in history
    assert "Assigned" not in history and "Priority" not in history


def test_a_status_change_that_lost_a_race_leaves_no_history(app, make_user):
    customer, agent = make_user(), make_user("agent")
    with app.app_context():
        from plugins.tickets import service
        from portal.accounts.models import User

        ticket, _message = service.open_ticket(
            db.session.get(User, customer.id), subject="S", body="B", category="question", priority="low"
        )
        db.session.commit()
        # What this request read is "open"; the database still says "new".
        set_committed_value(ticket, "status", "open")
        assert not service.change_status(ticket, "resolved", db.session.get(User, agent.id))
        db.session.commit()
        assert db.session.scalars(select(TicketChange).where(TicketChange.ticket_id == ticket.id)).all() == []


def make_macro(client: FlaskClient, ticket_id: int, **macro: str) -> str:
    """A canned reply that also sets what ``macro`` says; returns its id as the ticket page offers it."""
    data = {"title": "Fixed", "body": "We fixed it for you.", **macro}
    assert post_form(client, "/staff/tickets/canned", data).status_code == 302
    assert "Sending it also sets:" in client.get("/staff/tickets/canned").get_data(as_text=True)
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert "Send with macro" in page
    return re.search(r'<option value="(\d+)">\u2068Fixed\u2069</option>', page).group(1)


def test_a_macro_answers_and_changes_the_ticket_in_one_action(app, client, make_user):
    customer = make_user(name="Cyrus")
    agent = make_user("agent", name="Agent Ava")
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    switch_to(client, agent)
    macro = make_macro(
        client, ticket_id, set_status="resolved", set_priority="high", set_category="complaint"
    )
    draft = {"canned": macro, "body": "Dear Cyrus,", "token": "5" * 32}

    sent = post_form(client, f"/staff/tickets/{ticket_id}/macro", draft)
    assert sent.status_code == 302, sent.get_data(as_text=True)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert (ticket.status, ticket.priority, ticket.category) == ("resolved", "high", "complaint")
        bodies = db.session.scalars(select(Message.body).where(Message.ticket_id == ticket_id)).all()
        kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == customer.id)).all()
    assert bodies == ["Where is it?", "Dear Cyrus,\n\nWe fixed it for you."]
    assert kinds.count("tickets.reply") == 1
    assert [kind for kind, *_rest in changes(app, ticket_id)] == ["status", "priority", "category", "status"]

    # The same form again (a double click) sends nothing more and changes nothing more.
    again = post_form(client, f"/staff/tickets/{ticket_id}/macro", draft)
    assert again.status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(Message.id).where(Message.ticket_id == ticket_id)).all()) == 2
    assert len(changes(app, ticket_id)) == 4


def test_a_macro_that_is_gone_keeps_the_draft_and_changes_nothing(app, client, make_user):
    customer, agent = make_user(), make_user("agent")
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    switch_to(client, agent)
    make_macro(client, ticket_id, set_status="resolved")
    refused = post_form(client, f"/staff/tickets/{ticket_id}/macro", {"canned": "999", "body": "Dear Sara,"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Dear Sara,</textarea>" in html and "That canned reply no longer exists." in html
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "new"
    assert changes(app, ticket_id) == []


def test_a_macro_refuses_values_that_are_not_offered(client, login_as):
    login_as("agent")
    response = post_form(
        client, "/staff/tickets/canned", {"title": "Odd", "body": "Text", "set_status": "deleted"}
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert "Text</textarea>" in response.get_data(as_text=True)
