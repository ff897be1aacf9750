"""Tickets under simultaneous requests: one person clicking in many tabs at once gets one effect.

Each attempt is a real request through the tickets views, on its own database connection, released
together behind a barrier (portal.testing.races). Runs on SQLite and, with
PORTAL_TEST_DATABASE_URL set, on PostgreSQL.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugins.tickets.models import Attachment, Message, Ticket
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.settings import set_setting
from portal.testing import create_user, csrf_token
from portal.testing.races import race, race_in_app, same_browser

pytestmark = pytest.mark.plugins("tickets")

ATTEMPTS = 20
TOKEN = re.compile(r'name="token" type="hidden" value="([0-9a-f]+)"')


def make_ticket(app: Flask, customer_id: int, agent_id: int, status: str) -> int:
    """A ticket the staff have answered, in ``status``, as the customer last left it."""
    now = utcnow()
    with app.app_context():
        ticket = Ticket(
            customer_id=customer_id,
            subject="Raced ticket",
            category="question",
            priority="normal",
            status=status,
            first_response_due=now + timedelta(hours=24),
            resolution_due=now + timedelta(days=5),
            first_response_at=now,
            resolved_at=now if status in ("resolved", "closed") else None,
            closed_at=now if status == "closed" else None,
        )
        db.session.add(ticket)
        db.session.flush()
        db.session.add(Message(ticket_id=ticket.id, author_id=customer_id, body="Help"))
        db.session.add(Message(ticket_id=ticket.id, author_id=agent_id, from_staff=True, body="Done"))
        db.session.commit()
        return ticket.id


def events_named(app: Flask, name: str) -> list[dict]:
    with app.app_context():
        return list(db.session.scalars(select(StoredEvent.payload).where(StoredEvent.name == name)))


def post_together(client, url: str, data: dict[str, str]) -> list:
    """``ATTEMPTS`` tabs of the signed-in customer posting the same form at the same instant."""
    form = {"csrf_token": csrf_token(client), **data}
    tabs = same_browser(client, ATTEMPTS)
    return race(ATTEMPTS, lambda n: tabs[n].post(url, data=form))


def stored_files(app: Flask) -> list[str]:
    """The keys of every file in the storage folder, whatever the database says."""
    root = Path(app.instance_path) / "files"
    return [path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()]


def assert_no_server_errors(answers: list) -> None:
    for answer in answers:
        assert not isinstance(answer, BaseException), repr(answer)
        assert answer.status_code < 500, answer.get_data(as_text=True)


def test_rating_raced_from_many_tabs_is_stored_and_paid_once(app, client, login_as, make_user):
    me = login_as("customer")
    ticket_id = make_ticket(app, me.id, make_user("agent").id, "resolved")
    answers = post_together(client, f"/tickets/{ticket_id}/rate", {"rating": "5", "comment": "Great"})
    assert_no_server_errors(answers)
    assert len(events_named(app, "tickets.rated")) == 1
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert (ticket.rating, ticket.rating_comment) == (5, "Great")
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "You rated the resolution 5 out of 5." in page


def test_close_raced_from_many_tabs_closes_once(app, client, login_as, make_user):
    me = login_as("customer")
    ticket_id = make_ticket(app, me.id, make_user("agent").id, "open")
    answers = post_together(client, f"/tickets/{ticket_id}/close", {})
    assert_no_server_errors(answers)
    assert len(events_named(app, "tickets.status_changed")) == 1
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "closed"


def test_reopen_raced_from_many_tabs_reopens_once(app, client, login_as, make_user):
    me = login_as("customer")
    ticket_id = make_ticket(app, me.id, make_user("agent").id, "closed")
    answers = post_together(client, f"/tickets/{ticket_id}/reopen", {})
    assert_no_server_errors(answers)
    assert len(events_named(app, "tickets.reopened")) == 1
    assert len(events_named(app, "tickets.status_changed")) == 1
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "open"


def test_resolve_raced_by_staff_tabs_resolves_once(app, client, login_as, make_user):
    customer = make_user()
    agent = login_as("agent")
    ticket_id = make_ticket(app, customer.id, agent.id, "open")
    answers = post_together(client, f"/staff/tickets/{ticket_id}/status", {"status": "resolved"})
    assert_no_server_errors(answers)
    assert len(events_named(app, "tickets.resolved")) == 1
    assert len(events_named(app, "tickets.status_changed")) == 1


def test_autoclose_run_twice_at_once_closes_each_ticket_once(app, make_user):
    from plugins.tickets import service

    customer, agent = make_user(), make_user("agent")
    ticket_id = make_ticket(app, customer.id, agent.id, "resolved")
    with app.app_context():
        db.session.get(Ticket, ticket_id).resolved_at = utcnow() - timedelta(days=30)
        db.session.commit()

    def tick(_number: int) -> None:
        service.autoclose()
        db.session.commit()

    outcomes = race_in_app(app, 4, tick)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert len(events_named(app, "tickets.status_changed")) == 1
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "closed"


def test_new_ticket_submitted_twice_at_once_opens_one_ticket(app, client, login_as):
    me = login_as("customer")
    form_page = client.get("/tickets/new").get_data(as_text=True)
    token = TOKEN.search(form_page).group(1)
    data = {
        "subject": "Double click",
        "body": "Clicked twice",
        "category": "problem",
        "priority": "normal",
        "token": token,
    }
    answers = post_together(client, "/tickets/new", data)
    assert_no_server_errors(answers)
    with app.app_context():
        ticket_ids = db.session.scalars(select(Ticket.id).where(Ticket.customer_id == me.id)).all()
        messages = db.session.scalar(select(func.count()).select_from(Message))
    assert len(ticket_ids) == 1 and messages == 1
    assert len(events_named(app, "tickets.created")) == 1
    # Every tab, the first and the late ones alike, lands on the one ticket.
    assert {answer.headers.get("Location") for answer in answers} == {f"/tickets/{ticket_ids[0]}"}


def set_ticket_limits(app: Flask, **values: int) -> None:
    admin = create_user(app, "admin")
    with app.app_context():
        for key, value in values.items():
            set_setting("tickets", key, value, admin.id)
        db.session.commit()


def test_new_tickets_raced_past_the_hourly_limit_open_only_what_it_allows(app, client, login_as):
    set_ticket_limits(app, tickets_per_hour=2)
    me = login_as("customer")
    form = {"csrf_token": csrf_token(client), "body": "Mine", "category": "problem", "priority": "normal"}
    tabs = same_browser(client, 10)
    answers = race(
        10, lambda n: tabs[n].post("/tickets/new", data={**form, "subject": f"Tab {n}", "token": f"{n:032x}"})
    )
    assert_no_server_errors(answers)
    with app.app_context():
        opened = db.session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.customer_id == me.id)
        )
    assert opened == 2
    assert sorted(answer.status_code for answer in answers) == [302, 302] + [429] * 8
    assert len(events_named(app, "tickets.created")) == 2


def test_replies_raced_past_the_attachment_quota_store_only_what_fits(app, client, login_as, make_user):
    set_ticket_limits(app, attachment_quota_mb=1)
    me = login_as("customer")
    ticket_id = make_ticket(app, me.id, make_user("agent").id, "open")
    csrf = csrf_token(client)
    tabs = same_browser(client, 6)

    def reply_with_a_photo(n: int):
        photo = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * (400 * 1024))
        data = {"csrf_token": csrf, "body": f"Photo {n}", "token": f"{n:032x}", "files": [(photo, "p.png")]}
        return tabs[n].post(f"/tickets/{ticket_id}/reply", data=data, content_type="multipart/form-data")

    answers = race(6, reply_with_a_photo)
    assert_no_server_errors(answers)
    with app.app_context():
        stored = db.session.scalars(select(Attachment.storage_key)).all()
        replies = db.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.ticket_id == ticket_id, Message.body.like("Photo%"))
        )
    assert len(stored) == 2 and replies == 2
    assert sorted(answer.status_code for answer in answers) == [302, 302] + [422] * 4
    # Nothing of a refused reply stays behind in storage either.
    assert sorted(stored_files(app)) == sorted(stored)
