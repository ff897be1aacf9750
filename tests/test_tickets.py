"""The tickets plugin: customers open and follow tickets, staff answer them; nobody sees another's."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from itertools import pairwise

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup
from sqlalchemy import select

from plugins.tickets.models import Message, Ticket
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.notifications.models import Notification
from portal.organizations.models import Membership, Organization
from portal.plugin import User, hookimpl, storage
from portal.plugin_manager import plugin_host
from portal.settings import set_setting
from portal.testing import TEST_PASSWORD, log_in, post_form, read_outbox, staff_figure, statements_run

pytestmark = pytest.mark.plugins("tickets")

QUESTION = "Did this solve your problem?"
TOKEN = re.compile(r'name="token" type="hidden" value="([0-9a-f]+)"')


def open_ticket(
    client: FlaskClient, subject: str = "Parcel is late", body: str = "Where is **it**?", **extra
):
    data = {"subject": subject, "body": body, "category": "problem", "priority": "normal", **extra}
    return post_form(client, "/tickets/new", data)


def ticket_id_from(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def event_payloads(app: Flask, name: str) -> list[dict]:
    with app.app_context():
        return [
            {**row.payload, "_customer": row.customer_id, "_actor": row.actor_id}
            for row in db.session.scalars(
                select(StoredEvent).where(StoredEvent.name == name).order_by(StoredEvent.id)
            )
        ]


def switch_to(client: FlaskClient, user) -> None:
    client.post("/logout", data={})
    client.delete_cookie("session")
    log_in(client, user.email, TEST_PASSWORD)


def load(app: Flask, ticket_id: int) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def test_customer_opens_a_ticket_and_sees_it(app, client, login_as):
    me = login_as("customer")
    ticket_id = ticket_id_from(open_ticket(client, body="Where is **it**? <script>alert(1)</script>"))
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Parcel is late" in page
    assert "<strong>it</strong>" in page
    assert "<script>alert(1)" not in page
    listing = client.get("/tickets/").get_data(as_text=True)
    assert f"/tickets/{ticket_id}" in listing
    [created] = event_payloads(app, "tickets.created")
    assert created == {
        "ticket_id": ticket_id,
        "customer_id": me.id,
        "category": "problem",
        "priority": "normal",
        "_customer": me.id,
        "_actor": me.id,
    }
    ticket = load(app, ticket_id)
    assert ticket.status == "new"
    assert ticket.first_response_due > utcnow() + timedelta(hours=23)


def test_markdown_drops_scripts_handlers_and_javascript_links(client, login_as):
    login_as("customer")
    body = '[click](javascript:alert(1)) <img src=x onerror="alert(2)"> [ok](https://example.com)'
    ticket_id = ticket_id_from(open_ticket(client, body=body))
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert 'href="javascript:' not in page
    assert "<img" not in page
    assert 'href="https://example.com"' in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"body": ""}, "Please write a message."),
        ({"subject": ""}, "Please give your ticket a subject."),
        ({"subject": "x" * 201}, "200"),
        ({"body": "x" * 10001}, "10000"),
        ({"category": "nonsense"}, "Not a valid choice"),
    ],
)
def test_bad_ticket_input_is_refused_with_a_message(app, client, login_as, data, error):
    login_as("customer")
    response = open_ticket(client, **data)
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Ticket.id)) is None


def test_categories_come_from_the_settings(app, client, login_as, make_user):
    admin = make_user("admin")
    with app.app_context():
        set_setting("tickets", "categories", "billing, delivery", admin.id)
        db.session.commit()
    login_as("customer")
    page = client.get("/tickets/new").get_data(as_text=True)
    assert 'value="billing"' in page and 'value="complaint"' not in page
    assert ticket_id_from(open_ticket(client, category="delivery"))


def test_another_customers_ticket_is_404_everywhere(app, client, make_user):
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    log_in(client, alice.email, TEST_PASSWORD)
    alices = ticket_id_from(open_ticket(client, subject="Alice secret subject", body="secretword"))
    switch_to(client, bob)
    for url in (f"/tickets/{alices}", f"/tickets/{alices}/messages", "/tickets/999999"):
        assert client.get(url).status_code == 404, url
    for action, data in (
        ("reply", {"body": "hi"}),
        ("close", {}),
        ("reopen", {}),
        ("rate", {"rating": "5"}),
    ):
        assert post_form(client, f"/tickets/{alices}/{action}", data).status_code == 404, action
    listing = client.get("/tickets/?q=secretword").get_data(as_text=True)
    assert "Alice secret subject" not in listing
    assert "Alice secret subject" not in client.get("/tickets/").get_data(as_text=True)
    ticket = load(app, alices)
    assert ticket.status == "new"
    with app.app_context():
        assert db.session.scalar(select(Message.id).where(Message.author_id == bob.id)) is None


def test_organization_manager_sees_members_tickets_but_not_the_reverse(app, client, make_user):
    manager, member = make_user(name="Manager Mina"), make_user(name="Member Reza")
    with app.app_context():
        organization = Organization(name="Parsian", kind="company")
        db.session.add(organization)
        db.session.flush()
        db.session.add(Membership(user_id=manager.id, organization_id=organization.id, role="manager"))
        db.session.add(Membership(user_id=member.id, organization_id=organization.id, role="member"))
        db.session.commit()
    log_in(client, member.email, TEST_PASSWORD)
    members = ticket_id_from(open_ticket(client, subject="Member question"))
    switch_to(client, manager)
    managers = ticket_id_from(open_ticket(client, subject="Manager question"))
    listing = client.get("/tickets/").get_data(as_text=True)
    assert "Member question" in listing and "Member Reza" in listing
    assert client.get(f"/tickets/{members}").status_code == 200
    assert post_form(client, f"/tickets/{members}/reply", {"body": "On it, Reza"}).status_code == 302
    switch_to(client, member)
    assert "Manager question" not in client.get("/tickets/").get_data(as_text=True)
    assert client.get(f"/tickets/{managers}").status_code == 404


def test_staff_reply_notifies_the_customer_and_internal_notes_never_leak(app, client, make_user):
    customer, agent = make_user(name="Cyrus"), make_user("agent", name="Agent Ava")
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = ticket_id_from(open_ticket(client))
    switch_to(client, agent)
    staff_page = client.get(f"/staff/tickets/{ticket_id}")
    assert staff_page.status_code == 200
    note = post_form(
        client,
        f"/staff/tickets/{ticket_id}/reply",
        {"body": "INTERNALzebra customer is rude", "internal": "y"},
    )
    assert note.status_code == 302
    reply = post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "We found your parcel."})
    assert reply.status_code == 302
    assert "INTERNALzebra" in client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)

    ticket = load(app, ticket_id)
    assert ticket.status == "open" and ticket.first_response_at is not None
    replied = event_payloads(app, "tickets.replied")
    assert [(r["author"], r["author_id"]) for r in replied] == [("staff", agent.id)]
    with app.app_context():
        notices = db.session.scalars(select(Notification).where(Notification.user_id == customer.id)).all()
        texts = " ".join(f"{n.title} {n.body}" for n in notices)
    assert "We found your parcel." in texts and "INTERNALzebra" not in texts
    mails = read_outbox(app)
    assert any("We found your parcel." in mail.get_body(("plain",)).get_content() for mail in mails)
    assert all("INTERNALzebra" not in mail.as_string() for mail in mails)

    switch_to(client, customer)
    for url in (f"/tickets/{ticket_id}", f"/tickets/{ticket_id}/messages", "/notifications"):
        page = client.get(url).get_data(as_text=True)
        assert "INTERNALzebra" not in page, url
    assert "We found your parcel." in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f"/tickets/{ticket_id}" not in client.get("/tickets/?q=INTERNALzebra").get_data(as_text=True)
    export = client.get("/account/export")
    assert export.status_code == 200
    assert "INTERNALzebra" not in export.get_data(as_text=True)
    assert "We found your parcel." in export.get_data(as_text=True)


def test_a_reply_posted_twice_is_stored_once(app, client, login_as):
    login_as("customer")
    ticket_id = ticket_id_from(open_ticket(client))
    token = TOKEN.search(client.get(f"/tickets/{ticket_id}").get_data(as_text=True)).group(1)
    for _ in range(2):
        response = post_form(client, f"/tickets/{ticket_id}/reply", {"body": "Any news?", "token": token})
        assert response.status_code == 302
    with app.app_context():
        bodies = db.session.scalars(select(Message.body).where(Message.ticket_id == ticket_id)).all()
    assert bodies.count("Any news?") == 1


def test_htmx_reply_answers_with_the_conversation_fragment(client, login_as):
    login_as("customer")
    ticket_id = ticket_id_from(open_ticket(client))
    response = post_form(
        client, f"/tickets/{ticket_id}/reply", {"body": "Sent by htmx"}, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sent by htmx" in html and 'id="conversation"' in html and "<html" not in html
    empty = post_form(client, f"/tickets/{ticket_id}/reply", {"body": "  "}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "Please write a message." in empty.get_data(as_text=True)


def test_empty_reply_keeps_the_page_with_an_error(client, login_as):
    login_as("customer")
    ticket_id = ticket_id_from(open_ticket(client))
    response = post_form(client, f"/tickets/{ticket_id}/reply", {"body": ""})
    assert response.status_code == 422
    assert "Please write a message." in response.get_data(as_text=True)


def test_close_reopen_within_the_period_and_not_after(app, client, login_as, make_user):
    me = login_as("customer")
    ticket_id = ticket_id_from(open_ticket(client))
    assert post_form(client, f"/tickets/{ticket_id}/close", {}).status_code == 302
    assert load(app, ticket_id).status == "closed"
    assert post_form(client, f"/tickets/{ticket_id}/reply", {"body": "late"}).status_code == 422
    post_form(client, f"/tickets/{ticket_id}/reopen", {})
    assert load(app, ticket_id).status == "open"
    assert [e["_actor"] for e in event_payloads(app, "tickets.reopened")] == [me.id]
    post_form(client, f"/tickets/{ticket_id}/close", {})
    with app.app_context():
        db.session.get(Ticket, ticket_id).closed_at = utcnow() - timedelta(days=15)
        db.session.commit()
    response = post_form(client, f"/tickets/{ticket_id}/reopen", {}, follow_redirects=True)
    assert "can no longer be reopened" in response.get_data(as_text=True)
    assert load(app, ticket_id).status == "closed"


def test_rating_only_once_resolved_and_only_once(app, client, make_user):
    customer, agent = make_user(), make_user("agent")
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = ticket_id_from(open_ticket(client))
    post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "5"})
    assert load(app, ticket_id).rating is None
    switch_to(client, agent)
    assert post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "Sent again."}).status_code == 302
    assert post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "resolved"}).status_code == 302
    changed = event_payloads(app, "tickets.status_changed")
    assert changed[-1]["old_status"] == "open" and changed[-1]["new_status"] == "resolved"
    assert [e["ticket_id"] for e in event_payloads(app, "tickets.resolved")] == [ticket_id]
    with app.app_context():
        titles = db.session.scalars(
            select(Notification.title).where(Notification.user_id == customer.id)
        ).all()
    assert any("is now: Resolved" in title for title in titles)
    switch_to(client, customer)
    assert QUESTION in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "4", "comment": "Quick"})
    post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "1", "comment": "changed my mind"})
    assert load(app, ticket_id).rating == 4
    [rated] = event_payloads(app, "tickets.rated")
    assert (rated["rating"], rated["comment"], rated["customer_id"]) == (4, "Quick", customer.id)
    assert post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "9"}).status_code in (302, 422)


def test_rating_needs_an_answer_from_staff(app, client, make_user):
    customer, agent = make_user(), make_user("agent")
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = ticket_id_from(open_ticket(client))
    assert post_form(client, f"/tickets/{ticket_id}/close", {}).status_code == 302
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert QUESTION not in page
    assert "You can rate this ticket once our staff have answered it." in page
    refused = post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "5"}, follow_redirects=True)
    assert "You can rate this ticket once our staff have answered it." in refused.get_data(as_text=True)
    assert load(app, ticket_id).rating is None

    switch_to(client, agent)
    post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "Only for us", "internal": "y"})
    switch_to(client, customer)
    assert QUESTION not in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "5"})
    assert load(app, ticket_id).rating is None
    assert event_payloads(app, "tickets.rated") == []

    switch_to(client, agent)
    post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "Here is your answer."})
    switch_to(client, customer)
    assert QUESTION in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "2"}).status_code == 302
    assert load(app, ticket_id).rating == 2
    assert len(event_payloads(app, "tickets.rated")) == 1


def test_staff_average_counts_only_answered_tickets(app, client, make_user, login_as):
    customer, agent = make_user(), make_user("agent")
    [answered, unanswered] = make_tickets(app, customer.id, 2, status="closed")
    with app.app_context():
        db.session.add(Message(ticket_id=answered, author_id=agent.id, from_staff=True, body="Done"))
        for ticket_id, rating in ((answered, 4), (unanswered, 1)):
            ticket = db.session.get(Ticket, ticket_id)
            ticket.rating, ticket.rated_at = rating, utcnow()
        db.session.commit()
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    assert staff_figure(page, "tickets.rating") == "Average rating, last 30 days 4.0 / 5"


def test_customers_cannot_reach_staff_pages(client, login_as):
    login_as("customer")
    assert client.get("/staff/tickets/").status_code == 403
    assert client.get("/staff/tickets/1").status_code == 403


def make_tickets(app: Flask, customer_id: int, count: int, **fields) -> list[int]:
    now = utcnow()
    with app.app_context():
        tickets = [
            Ticket(
                customer_id=customer_id,
                subject=f"{fields.get('subject', 'Ticket')} {n}",
                category="question",
                priority=fields.get("priority", "normal"),
                status=fields.get("status", "new"),
                first_response_due=fields.get("due", now + timedelta(hours=24)),
                resolution_due=now + timedelta(days=5),
                resolved_at=fields.get("resolved_at"),
            )
            for n in range(count)
        ]
        db.session.add_all(tickets)
        db.session.flush()
        for ticket in tickets:
            db.session.add(Message(ticket_id=ticket.id, author_id=customer_id, body="hello"))
        db.session.commit()
        return [t.id for t in tickets]


def test_status_and_priority_read_the_same_in_every_place_and_language(app, client, make_user):
    sara = make_user(language="fa")
    [ticket_id] = make_tickets(app, sara.id, 1, status="waiting", priority="urgent")
    log_in(client, sara.email, TEST_PASSWORD)
    waiting = '<span class="ticket-status ticket-status-waiting">در انتظار پاسخ مشتری</span>'
    assert waiting in client.get("/tickets/").get_data(as_text=True)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert waiting in page
    assert '<span class="ticket-priority ticket-priority-urgent">فوری</span>' in page
    switch_to(client, make_user("agent"))
    queue = client.get("/staff/tickets/").get_data(as_text=True)
    assert '<span class="ticket-status ticket-status-waiting">Waiting on customer</span>' in queue
    assert '<option value="waiting">Waiting on customer</option>' in queue, "the filter says it the same way"
    assert 'ticket-status-waiting">Waiting on customer' in client.get(f"/staff/customers/{sara.id}").get_data(
        as_text=True
    )


def test_staff_queue_filters_overdue_assignee_and_pages(app, client, make_user, login_as):
    customer = make_user(name="Queue Customer")
    make_tickets(app, customer.id, 30)
    [late] = make_tickets(
        app, customer.id, 1, due=utcnow() - timedelta(hours=1), priority="urgent", subject="Late"
    )
    agent = login_as("agent")
    first = client.get("/staff/tickets/").get_data(as_text=True)
    assert first.count("/staff/tickets/") >= 25 and "More tickets" in first
    assert "ticket-overdue" in first
    overdue = client.get("/staff/tickets/?overdue=1").get_data(as_text=True)
    assert f'/staff/tickets/{late}"' in overdue and "Ticket 0<" not in overdue
    urgent = client.get("/staff/tickets/?priority=urgent").get_data(as_text=True)
    assert f'/staff/tickets/{late}"' in urgent
    before = re.search(r"before=(\d+)", first).group(1)
    second = client.get(f"/staff/tickets/?before={before}").get_data(as_text=True)
    assert "Ticket 0<" in second
    assert post_form(client, f"/staff/tickets/{late}/claim", {}).status_code == 302
    mine = client.get("/staff/tickets/?assignee=me").get_data(as_text=True)
    assert f'/staff/tickets/{late}"' in mine and "Ticket 29<" not in mine
    assert "Ticket 29<" in client.get("/staff/tickets/?assignee=none").get_data(as_text=True)
    assert load(app, late).assignee_id == agent.id
    by_due = client.get("/staff/tickets/?sort=due").get_data(as_text=True)
    assert by_due.index(f'/staff/tickets/{late}"') < by_due.index("Ticket 0<")
    cursor = re.search(r"after=([^&\"]+)", by_due).group(1)
    due_page_two = client.get(f"/staff/tickets/?sort=due&after={cursor}").get_data(as_text=True)
    assert f'/staff/tickets/{late}"' not in due_page_two and "Ticket 29<" in due_page_two
    oldest = client.get("/staff/tickets/?sort=oldest").get_data(as_text=True)
    assert "Ticket 0<" in oldest and "Ticket 29<" not in oldest
    for bad in (
        "?sort=due&after=garbage_x",
        "?sort=due&after=2026-01-01T00:00:00_99999999999",
        "?before=abc",
        "?before=99999999999999",
        "?assignee=xyz&priority=<b>",
        "?q=" + "%" * 500,
    ):
        assert client.get("/staff/tickets/" + bad).status_code == 200


def test_pages_run_a_fixed_number_of_queries(app, client, make_user):
    customer, agent = make_user(), make_user("agent")

    def counts() -> tuple[int, ...]:
        ticket_id = make_tickets(app, customer.id, 1)[0]
        with app.app_context():
            for n in range(3):
                db.session.add(Message(ticket_id=ticket_id, author_id=customer.id, body=f"more {n}"))
            db.session.commit()
        result = []
        for who, urls in (
            (customer, ("/tickets/", f"/tickets/{ticket_id}")),
            (agent, ("/staff/tickets/", f"/staff/tickets/{ticket_id}")),
        ):
            switch_to(client, who)
            for url in urls:
                client.get(url)  # a warm worker: switches and settings kept (configuration_cache)
                with statements_run(app) as seen:
                    assert client.get(url).status_code == 200
                result.append(len(seen))
        return tuple(result)

    make_tickets(app, customer.id, 2)
    small = counts()
    make_tickets(app, customer.id, 20)
    assert counts() == small
    assert max(small) <= 25


def test_resolved_tickets_close_by_themselves(app, make_user):
    customer = make_user()
    [old] = make_tickets(app, customer.id, 1, status="resolved", resolved_at=utcnow() - timedelta(days=8))
    [recent] = make_tickets(app, customer.id, 1, status="resolved", resolved_at=utcnow() - timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert load(app, old).status == "closed"
    assert load(app, recent).status == "resolved"
    [changed] = event_payloads(app, "tickets.status_changed")
    assert (changed["ticket_id"], changed["old_status"], changed["new_status"]) == (old, "resolved", "closed")


def test_panel_widget_and_nav(app, client, make_user):
    customer = make_user(name="Panel Person")
    [ticket_id] = make_tickets(app, customer.id, 1)
    log_in(client, customer.email, TEST_PASSWORD)
    widget = client.get("/tickets/widget", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "1 open ticket" in widget and "Ticket 0" in widget
    assert "/tickets/" in client.get("/dashboard").get_data(as_text=True)
    assert 'href="/tickets/new"' in client.get("/account/profile").get_data(as_text=True)
    switch_to(client, make_user("agent"))
    page = client.get(f"/staff/customers/{customer.id}").get_data(as_text=True)
    assert "panel-tickets-recent" in page and f"/staff/tickets/{ticket_id}" in page
    assert "/staff/tickets/" in client.get("/staff/").get_data(as_text=True)


@pytest.mark.plugins()
def test_switched_off_plugin_answers_404(client, login_as):
    login_as("customer")
    assert client.get("/tickets/").status_code == 404


def test_erasing_the_account_removes_its_tickets_and_files(app, client, make_user):
    customer = make_user()
    log_in(client, customer.email, TEST_PASSWORD)
    open_ticket(client, files=[upload(PNG, "a.png")], content_type="multipart/form-data")
    with app.app_context():
        from plugins.tickets.contributions import erase_customer_data
        from plugins.tickets.models import Attachment

        [key] = db.session.scalars(select(Attachment.storage_key)).all()
        erase_customer_data(db.session.get(User, customer.id))
        db.session.commit()
        assert db.session.scalar(select(Ticket.id)) is None
        assert not storage().exists(key)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def upload(data: bytes, name: str):
    return (io.BytesIO(data), name)


def test_attachments_are_checked_by_content_and_served_as_downloads(app, client, make_user):
    alice, bob = make_user(), make_user()
    log_in(client, alice.email, TEST_PASSWORD)
    response = open_ticket(
        client,
        files=[upload(PNG, "<b>shot</b>.png"), upload(b"<svg onload=alert(1)>", "note.txt")],
        content_type="multipart/form-data",
    )
    ticket_id = ticket_id_from(response)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "&lt;b&gt;shot&lt;/b&gt;.png" in page and "<b>shot</b>" not in page
    links = re.findall(rf"/tickets/{ticket_id}/files/(\d+)", page)
    assert len(links) == 2
    image = client.get(f"/tickets/{ticket_id}/files/{links[0]}")
    assert image.status_code == 200 and image.data == PNG
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("attachment")
    markup = client.get(f"/tickets/{ticket_id}/files/{links[1]}")
    assert markup.headers["Content-Type"].startswith("text/plain")
    assert markup.headers["Content-Disposition"].startswith("attachment")
    switch_to(client, bob)
    assert client.get(f"/tickets/{ticket_id}/files/{links[0]}").status_code == 404
    [bobs] = make_tickets(app, bob.id, 1)
    assert client.get(f"/tickets/{bobs}/files/{links[0]}").status_code == 404


def test_bad_attachments_are_refused_and_nothing_is_kept(app, client, login_as, make_user):
    admin = make_user("admin")
    with app.app_context():
        set_setting("tickets", "attachment_max_mb", 1, admin.id)
        set_setting("tickets", "attachment_types", "png, pdf", admin.id)
        db.session.commit()
    login_as("customer")
    cases = [
        ([upload(b"<html><script>alert(1)</script>", "page.png")], "not a file type we accept"),
        ([upload(b"MZ\x90\x00binary", "tool.pdf")], "not a file type we accept"),
        ([upload(PNG, f"{n}.png") for n in range(6)], "at most 5 files"),
        ([upload(PNG + b"\x00" * (1024 * 1024), "big.png")], "larger than the limit"),
    ]
    for files, error in cases:
        response = open_ticket(client, files=files, content_type="multipart/form-data")
        assert response.status_code == 200, error
        assert error in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Ticket.id)) is None


def test_files_on_internal_notes_stay_with_staff(app, client, make_user):
    customer, agent = make_user(), make_user("agent")
    [ticket_id] = make_tickets(app, customer.id, 1)
    log_in(client, agent.email, TEST_PASSWORD)
    post_form(
        client,
        f"/staff/tickets/{ticket_id}/reply",
        {"body": "see log", "internal": "y", "files": [upload(PNG, "log.png")]},
        content_type="multipart/form-data",
    )
    with app.app_context():
        from plugins.tickets.models import Attachment

        [attachment_id] = db.session.scalars(select(Attachment.id)).all()
    assert client.get(f"/staff/tickets/{ticket_id}/files/{attachment_id}").status_code == 200
    switch_to(client, customer)
    assert client.get(f"/tickets/{ticket_id}/files/{attachment_id}").status_code == 404
    assert "log.png" not in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_staff_home_counts_open_and_overdue_tickets(app, client, make_user, login_as):
    customer = make_user()
    make_tickets(app, customer.id, 2)
    make_tickets(app, customer.id, 1, due=utcnow() - timedelta(hours=2))
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    assert staff_figure(page, "tickets.open") == "Open tickets 3"
    assert staff_figure(page, "tickets.overdue") == "Past their response target 1"
    assert staff_figure(page, "tickets.new").startswith("New tickets, last 14 days 3 Previous period: 0")


def test_demo_data_has_every_status_once(app, make_user):
    customer = make_user()
    from plugins.tickets.contributions import load_demo_data

    for _ in range(2):
        with app.app_context():
            load_demo_data([db.session.get(User, customer.id)])
            db.session.commit()
    with app.app_context():
        statuses = db.session.scalars(select(Ticket.status).where(Ticket.customer_id == customer.id)).all()
    assert sorted(statuses) == sorted(["new", "open", "waiting", "resolved", "closed"])


class SlotProbe:
    """A stand-in for another plugin (loyalty, surveys) filling the staff ticket page's slots."""

    @hookimpl
    def portal_template_slot(self, slot, context):
        if slot in ("tickets.staff_actions", "tickets.staff_details"):
            return Markup("<p>{} {} {}</p>").format(slot, context["ticket_id"], context["customer_id"])
        return None


def test_staff_ticket_page_offers_its_slots_to_other_plugins(app, client, make_user, login_as):
    customer = make_user()
    [ticket_id] = make_tickets(app, customer.id, 1)
    plugin_host(app).manager.register(SlotProbe(), name="slot_probe")
    login_as("agent")
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert f"tickets.staff_actions {ticket_id} {customer.id}" in page
    assert f"tickets.staff_details {ticket_id} {customer.id}" in page
    switch_to(client, customer)
    assert "tickets.staff_actions" not in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_bulk_status_and_assign(app, client, make_user, login_as):
    customer = make_user()
    first, second, untouched = make_tickets(app, customer.id, 3)
    agent = login_as("agent")
    response = post_form(
        client,
        "/staff/tickets/bulk",
        {"ids": [str(first), str(second)], "status": "resolved", "assignee": str(agent.id)},
    )
    assert response.status_code == 302
    assert [load(app, t).status for t in (first, second, untouched)] == ["resolved", "resolved", "new"]
    assert load(app, first).assignee_id == agent.id and load(app, untouched).assignee_id is None
    assert sorted(e["ticket_id"] for e in event_payloads(app, "tickets.resolved")) == [first, second]
    assert post_form(client, "/staff/tickets/bulk", {"ids": ["x"], "status": "open"}).status_code == 302


def test_canned_replies_start_a_staff_reply(app, client, make_user, login_as):
    customer = make_user()
    [ticket_id] = make_tickets(app, customer.id, 1)
    login_as("agent")
    assert post_form(client, "/staff/tickets/canned", {"title": "", "body": "x"}).status_code == 200
    response = post_form(
        client, "/staff/tickets/canned", {"title": "Refund", "body": "Your refund is on its way."}
    )
    assert response.status_code == 302
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    canned_id = re.search(r'<option value="(\d+)">\u2068Refund\u2069</option>', page).group(1)
    started = post_form(client, f"/staff/tickets/{ticket_id}/canned", {"canned": canned_id, "body": ""})
    assert "Your refund is on its way.</textarea>" in started.get_data(as_text=True)
    assert post_form(client, f"/staff/tickets/canned/{canned_id}/delete", {}).status_code == 302
    assert "Refund" not in client.get("/staff/tickets/canned").get_data(as_text=True)
    switch_to(client, customer)
    assert client.get("/staff/tickets/canned").status_code == 403


def answered_ticket(app: Flask, customer_id: int, agent_id: int, status: str) -> int:
    """A ticket an agent has answered, now in ``status``."""
    [ticket_id] = make_tickets(app, customer_id, 1, status=status)
    with app.app_context():
        db.session.add(Message(ticket_id=ticket_id, author_id=agent_id, from_staff=True, body="Fixed it."))
        db.session.commit()
    return ticket_id


def offered(page: str) -> list[str]:
    """What the customer page offers, in the order a reader meets it."""
    marks = {
        "rate": QUESTION,
        "reply": 'name="body"',
        "close": "Close this ticket",
        "reopen": "Reopen this ticket",
    }
    found = [(page.index(text), name) for name, text in marks.items() if text in page]
    return [name for _position, name in sorted(found)]


def test_each_ticket_state_offers_its_own_actions_the_next_step_first(app, client, make_user):
    customer, agent = make_user(), make_user("agent")
    ids = {status: answered_ticket(app, customer.id, agent.id, status) for status in ("open", "resolved")}
    [unanswered_closed] = make_tickets(app, customer.id, 1, status="closed")
    log_in(client, customer.email, TEST_PASSWORD)
    assert offered(client.get(f"/tickets/{ids['open']}").get_data(as_text=True)) == ["reply", "close"]
    resolved = client.get(f"/tickets/{ids['resolved']}").get_data(as_text=True)
    assert offered(resolved) == ["rate", "close", "reopen"]
    assert offered(client.get(f"/tickets/{unanswered_closed}").get_data(as_text=True)) == ["reopen"]


def test_the_rating_question_has_a_labelled_scale_and_chooses_nothing(app, client, make_user):
    customer, agent = make_user(), make_user("agent")
    ticket_id = answered_ticket(app, customer.id, agent.id, "resolved")
    log_in(client, customer.email, TEST_PASSWORD)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    radios = re.findall(r'<input[^>]*type="radio"[^>]*>', page)
    assert [re.search(r'value="(\d)"', r).group(1) for r in radios] == ["1", "2", "3", "4", "5"]
    assert not any("checked" in radio for radio in radios)
    assert "Not at all" in page and "Completely" in page
    assert "<select" not in page.split(QUESTION)[1].split("</form>")[0]

    refused = post_form(client, f"/tickets/{ticket_id}/rate", {"comment": "Kind people, slow fix"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Please choose a number from 1 (not at all) to 5 (completely)." in html
    assert "Kind people, slow fix</textarea>" in html
    assert load(app, ticket_id).rating is None
    assert post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "3"}).status_code == 302
    assert load(app, ticket_id).rating == 3


def test_take_it_is_offered_only_until_the_ticket_is_yours(app, client, make_user, login_as):
    customer = make_user()
    [ticket_id] = make_tickets(app, customer.id, 1)
    login_as("agent")
    assert "Take it" in client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert post_form(client, f"/staff/tickets/{ticket_id}/claim", {}).status_code == 302
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert "Take it" not in page and "Assigned to you" in page


def test_a_canned_reply_is_added_to_the_draft_and_keeps_it(app, client, make_user, login_as):
    customer = make_user()
    [ticket_id] = make_tickets(app, customer.id, 1)
    login_as("agent")
    post_form(client, "/staff/tickets/canned", {"title": "Refund", "body": "Your refund is on its way."})
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    canned_id = re.search(r'<option value="(\d+)">\u2068Refund\u2069</option>', page).group(1)
    draft = {"canned": canned_id, "body": "Dear Sara,", "internal": "y"}

    without_js = post_form(client, f"/staff/tickets/{ticket_id}/canned", draft)
    html = without_js.get_data(as_text=True)
    assert without_js.status_code == 200 and "<html" in html
    assert "Dear Sara,\n\nYour refund is on its way.</textarea>" in html
    assert re.search(r'<input[^>]*checked[^>]*name="internal"', html)

    with_htmx = post_form(client, f"/staff/tickets/{ticket_id}/canned", draft, headers={"HX-Request": "true"})
    fragment = with_htmx.get_data(as_text=True)
    assert with_htmx.status_code == 200 and "<html" not in fragment
    assert "Dear Sara,\n\nYour refund is on its way.</textarea>" in fragment

    gone = post_form(client, f"/staff/tickets/{ticket_id}/canned", {"canned": "999", "body": "Dear Sara,"})
    assert gone.status_code == 422
    assert "Dear Sara,</textarea>" in gone.get_data(as_text=True)
    assert "That canned reply no longer exists." in gone.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Message.body).where(Message.ticket_id == ticket_id)).all() == [
            "hello"
        ]


@pytest.mark.plugins("tickets", "loyalty")
def test_staff_ticket_page_has_unique_ids_and_headings_in_order(app, client, make_user, login_as):
    customer = make_user()
    [ticket_id] = make_tickets(app, customer.id, 1)
    with app.app_context():
        body = "#### Steps tried\n\nRestarted.\n\n###### Detail\n\nNone."
        db.session.add(Message(ticket_id=ticket_id, author_id=customer.id, body=body))
        db.session.commit()
    login_as("agent")
    for url in (f"/staff/tickets/{ticket_id}", f"/tickets/{ticket_id}"):
        if url.startswith("/tickets"):
            switch_to(client, customer)
        page = client.get(url).get_data(as_text=True)
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert sorted({i for i in ids if ids.count(i) > 1}) == [], url
        levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", page)]
        assert levels[0] == 1 and all(b <= a + 1 for a, b in pairwise(levels)), (url, levels)
        assert "Steps tried" in page


def test_reply_boxes_are_tall_enough_to_write_in(app, client, make_user, login_as):
    customer = make_user()
    [ticket_id] = make_tickets(app, customer.id, 1)
    login_as("agent")
    assert 'rows="6"' in client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    switch_to(client, customer)
    assert 'rows="6"' in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_the_queue_filter_keeps_the_chosen_assignee_and_writes_names_as_text(client, make_user, login_as):
    hostile = make_user("agent", name='Eve <script>alert("x")</script> & Co')
    other = make_user("agent", name="Olga")
    login_as("agent")
    page = client.get(f"/staff/tickets/?assignee={hostile.id}").get_data(as_text=True)
    filter_select = page[page.index('<select name="assignee">') :]
    filter_select = filter_select[: filter_select.index("</select>")]
    written_name = "Eve &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co"
    assert f'<option selected value="{hostile.id}">{written_name}</option>' in filter_select
    assert f'<option value="{other.id}">Olga</option>' in filter_select
    assert "<script>" not in filter_select
    nobody = client.get("/staff/tickets/?assignee=none").get_data(as_text=True)
    assert (
        f'<option value="{hostile.id}">' in nobody and f'<option selected value="{hostile.id}">' not in nobody
    )
