"""Staff alerts: agents hear of new tickets, customer replies, assignments, near targets and mentions.

Alerts are real notifications, stored and mailed (instance/mail) after the change committed; the
event reactions and the scheduled task run as they do in production, inline in the test app.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugins.tickets.events import TicketCreated
from plugins.tickets.models import Message, Ticket
from plugins.tickets.target_warnings import TargetWarning, claim_warning
from portal.database import db
from portal.notifications.models import Notification
from portal.plugin import NotificationError, SettingValueError, User, notify
from portal.settings import set_setting
from portal.testing import (
    TEST_PASSWORD,
    UserRecord,
    freeze_clock,
    log_in,
    post_form,
    read_outbox,
    run_scheduled_task,
    text_of,
)
from portal.testing.events import emit_as_owner

pytestmark = pytest.mark.plugins("tickets")

STAFF_KINDS = (
    "tickets.queue_new",
    "tickets.customer_reply",
    "tickets.assigned",
    "tickets.target_soon",
    "tickets.mention",
)


def sign_in(client: FlaskClient, user: UserRecord) -> None:
    client.post("/logout", data={})
    client.delete_cookie("session")
    log_in(client, user.email, TEST_PASSWORD)


def open_ticket(
    client: FlaskClient, subject: str = "Printer on fire", body: str = "Smoke everywhere", **extra: str
) -> int:
    data = {"subject": subject, "body": body, "category": "problem", "priority": "normal", **extra}
    response = post_form(client, "/tickets/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def alerts(app: Flask, user: UserRecord, kind: str | None = None) -> list[Notification]:
    """The staff alerts ``user`` got (of ``kind``), oldest first."""
    with app.app_context():
        query = select(Notification).where(
            Notification.user_id == user.id, Notification.kind.in_([kind] if kind else STAFF_KINDS)
        )
        found = db.session.scalars(query.order_by(Notification.id)).all()
        db.session.expunge_all()
        return list(found)


def all_notices(app: Flask) -> list[Notification]:
    with app.app_context():
        found = db.session.scalars(select(Notification).order_by(Notification.id)).all()
        db.session.expunge_all()
        return list(found)


def mails_to(app: Flask, user: UserRecord) -> list:
    return [mail for mail in read_outbox(app) if user.email in mail["To"]]


def set_tickets_setting(app: Flask, key: str, value: object) -> None:
    with app.test_request_context():
        set_setting("tickets", key, value, None)
        db.session.commit()


def assign(app: Flask, ticket_id: int, user: UserRecord | None) -> None:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.assignee_id = user.id if user else None
        db.session.commit()


def test_a_new_ticket_reaches_every_agent_but_no_customer(app, client, make_user):
    ava, sam = make_user("agent", name="Ava"), make_user("admin", name="Sam")
    customer, bystander = make_user(name="Cyrus"), make_user(name="Bystander")
    sign_in(client, customer)
    ticket_id = open_ticket(client, body="Smoke everywhere. " + "x" * 400)

    for agent in (ava, sam):
        [alert] = alerts(app, agent, "tickets.queue_new")
        assert alert.title == f"New ticket #{ticket_id} “Printer on fire”"
        assert alert.body.startswith("Smoke everywhere.") and len(alert.body) <= 301
        assert alert.url == f"/staff/tickets/{ticket_id}"
        [mail] = mails_to(app, agent)
        assert mail["Subject"] == alert.title
        assert f"/notifications/{alert.id}/open" in text_of(mail)
        assert mail["Reply-To"] and mail["Reply-To"] != mail["From"], "the agent can answer by mail"
    assert not mails_to(app, bystander)
    assert all("New ticket" not in mail["Subject"] for mail in mails_to(app, customer)), "only their own news"
    assert {n.user_id for n in all_notices(app) if n.kind in STAFF_KINDS} == {ava.id, sam.id}

    sign_in(client, ava)
    queue = client.get("/staff/tickets/").get_data(as_text=True)
    assert 'id="notification-bell"' in queue and 'class="notification-count">1<' in queue, (
        "staff have the bell"
    )
    listed = client.get("/notifications").get_data(as_text=True)
    assert f"New ticket #{ticket_id} “Printer on fire”" in listed


def test_category_owners_alone_hear_of_their_categorys_tickets(app, client, make_user):
    ava, sam, lee = make_user("agent", name="Ava"), make_user("agent", name="Sam"), make_user("agent")
    set_tickets_setting(app, "category_owners", f"problem: {ava.email}, {sam.email}\nquestion: {lee.email}")
    sign_in(client, make_user())
    open_ticket(client)
    open_ticket(client, subject="Opening hours?", category="complaint")

    assert [a.title.split("“")[1] for a in alerts(app, ava)] == ["Printer on fire”", "Opening hours?”"]
    assert [a.title.split("“")[1] for a in alerts(app, sam)] == ["Printer on fire”", "Opening hours?”"]
    assert [a.title.split("“")[1] for a in alerts(app, lee)] == ["Opening hours?”"], "no owners: everyone"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("billing {ava}", "Line 1 (“billing {ava}”): write a category, a colon"),
        ("problem: {ava}\nbilling: {ava}", "Line 2: “billing” is not a ticket category."),
        ("problem: {ava}\n\nproblem: {ava}", "Line 3: “problem” has a line already"),
        ("problem: nobody@example.com", "Line 1: no account has the address nobody@example.com."),
        ("problem: {customer}", "Line 1: {customer} is a customer's address"),
    ],
)
def test_category_owners_are_checked_on_save_naming_the_line(
    app, client, login_as, make_user, lines, message
):
    ava, customer = make_user("agent"), make_user()
    login_as("admin")
    typed = lines.format(ava=ava.email, customer=customer.email)
    page = client.get("/staff/settings/tickets").get_data(as_text=True)
    assert "<textarea" in page and 'name="setting_category_owners"' in page
    response = post_form(client, "/staff/settings/tickets", {"setting_category_owners": typed})
    html = response.get_data(as_text=True)
    expected = message.format(ava=ava.email, customer=customer.email)
    assert expected.replace("'", "&#39;") in html, html
    assert typed.split("\n")[0] in html, "what the administrator typed is kept"
    with app.app_context(), pytest.raises(SettingValueError, match=re.escape(expected.split(":")[0])):
        set_setting("tickets", "category_owners", typed, None)


def test_the_agent_who_opens_a_ticket_for_a_customer_is_not_told(app, client, make_user):
    ava, sam = make_user("agent"), make_user("agent")
    sign_in(client, make_user())
    ticket_id = open_ticket(client)
    assert len(alerts(app, ava)) == 1 and len(alerts(app, sam)) == 1, "the customer's own ticket: all hear"
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        # A ticket opened by Ava for the customer (on the phone) is announced with her as its actor.
        created = TicketCreated(
            ticket_id=ticket.id, customer_id=ticket.customer_id, category="problem", priority="normal"
        )
        emit_as_owner(created, customer_id=ticket.customer_id, actor_id=ava.id)
        db.session.commit()
    assert len(alerts(app, sam)) == 2 and len(alerts(app, ava)) == 1


def test_a_customer_reply_reaches_only_the_assignee(app, client, make_user):
    ava, sam, customer = make_user("agent"), make_user("agent"), make_user()
    sign_in(client, customer)
    ticket_id = open_ticket(client)
    post_form(client, f"/tickets/{ticket_id}/reply", {"body": "Nobody is assigned yet"})
    assert alerts(app, ava, "tickets.customer_reply") == [] == alerts(app, sam, "tickets.customer_reply")

    assign(app, ticket_id, ava)
    post_form(client, f"/tickets/{ticket_id}/reply", {"body": "It is still burning!"})
    [alert] = alerts(app, ava, "tickets.customer_reply")
    assert alert.title == f"Customer replied on #{ticket_id} “Printer on fire”"
    assert alert.body == "It is still burning!"
    assert alerts(app, sam, "tickets.customer_reply") == []


def test_a_reopen_by_the_customer_tells_the_assignee_once(app, client, make_user):
    ava, customer = make_user("agent"), make_user()
    sign_in(client, customer)
    ticket_id = open_ticket(client)
    assign(app, ticket_id, ava)
    sign_in(client, ava)
    post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "Unplug it."})
    post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "resolved"})
    assert alerts(app, ava, "tickets.customer_reply") == [], "the agent's own actions tell them nothing"

    sign_in(client, customer)
    assert post_form(client, f"/tickets/{ticket_id}/reopen", {}).status_code == 302
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "open"
    [alert] = alerts(app, ava, "tickets.customer_reply")
    assert alert.title == f"Customer reopened #{ticket_id} “Printer on fire”"

    sign_in(client, ava)
    post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "waiting"})
    sign_in(client, customer)
    post_form(client, f"/tickets/{ticket_id}/reply", {"body": "Here is the photo you asked for"})
    titles = [a.title for a in alerts(app, ava, "tickets.customer_reply")]
    assert titles[1:] == [f"Customer replied on #{ticket_id} “Printer on fire”"], "a reply that reopens: one"


def test_assignment_tells_the_new_assignee_unless_they_took_it(app, client, make_user):
    ava, sam, customer = make_user("agent", name="Ava"), make_user("agent", name="Sam"), make_user()
    sign_in(client, customer)
    ticket_id = open_ticket(client)
    sign_in(client, ava)
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    handle = sam.email.split("@")[0]
    assert f"\u2068Sam\u2069 (\u2068@{handle}\u2069)" in page, (
        "the assign list shows how to mention a colleague"
    )
    assert post_form(client, f"/staff/tickets/{ticket_id}/claim", {}).status_code == 302
    assert alerts(app, ava, "tickets.assigned") == []

    post_form(client, f"/staff/tickets/{ticket_id}/assign", {"assignee": str(sam.id)})
    [alert] = alerts(app, sam, "tickets.assigned")
    assert alert.title == f"Ava assigned #{ticket_id} “Printer on fire” to you"
    assert alert.body == "Smoke everywhere"
    post_form(client, f"/staff/tickets/{ticket_id}/assign", {"assignee": str(sam.id)})
    assert len(alerts(app, sam, "tickets.assigned")) == 1, "unchanged: no event, no alert"
    assert alerts(app, ava, "tickets.assigned") == []
    assert all("assigned" not in mail["Subject"] for mail in mails_to(app, customer))


def test_an_agent_who_switched_off_email_still_sees_the_alert(app, client, make_user):
    ava, sam = make_user("agent"), make_user("agent")
    sign_in(client, ava)
    page = client.get("/account/notifications").get_data(as_text=True)
    for kind in STAFF_KINDS:
        assert f'value="{kind}"' in page
    assert 'value="tickets.reply"' not in page, "customer kinds are not offered to staff"
    kept = [kind for kind in STAFF_KINDS if kind != "tickets.queue_new"]
    post_form(client, "/account/notifications", {"emailed_kinds": ["core.account", *kept]})

    sign_in(client, make_user())
    open_ticket(client)
    assert len(alerts(app, ava, "tickets.queue_new")) == 1, "still under the bell"
    assert mails_to(app, ava) == []
    assert len(mails_to(app, sam)) == 1


def test_staff_kinds_never_reach_customers(app, client, make_user, login_as):
    customer = login_as()
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'value="tickets.reply"' in page and 'value="core.account"' in page
    for kind in STAFF_KINDS:
        assert f'value="{kind}"' not in page
    response = post_form(client, "/account/notifications", {"emailed_kinds": ["tickets.queue_new"]})
    assert response.status_code == 400, "a staff kind is not on offer to a customer"

    with app.test_request_context():
        for kind in STAFF_KINDS:
            with pytest.raises(NotificationError, match="is for staff"):
                notify(db.session.get(User, customer.id), kind, "Not for you")
        db.session.rollback()
    assert all_notices(app) == []


def test_the_target_warning_goes_once_per_target(app, make_user):
    ava, sam, customer = make_user("agent"), make_user("agent"), make_user()
    start = datetime(2026, 12, 7, 9, 0)
    from plugins.tickets import service

    with freeze_clock(start) as clock:
        with app.test_request_context():
            owner = db.session.get(User, customer.id)
            urgent, _ = service.open_ticket(
                owner, subject="Urgent", body="Help", category="problem", priority="urgent"
            )  # first response within 2 hours, resolution within 24
            calm, _ = service.open_ticket(
                owner, subject="Calm", body="Later", category="problem", priority="low"
            )
            urgent.assignee_id = ava.id
            urgent_id, calm_id = urgent.id, calm.id
            db.session.commit()

        run_scheduled_task(app, "tickets.target_soon")
        run_scheduled_task(app, "tickets.target_soon")
        [warning] = alerts(app, ava, "tickets.target_soon")
        assert warning.title == f"#{urgent_id} “Urgent” is close to missing its first-response target"
        assert warning.body.startswith("Due Dec 7, 2026")
        assert alerts(app, sam, "tickets.target_soon") == [], "assigned: only the assignee"

        clock.advance(timedelta(hours=22, minutes=30))
        run_scheduled_task(app, "tickets.target_soon")
        run_scheduled_task(app, "tickets.target_soon")
        titles = [a.title for a in alerts(app, ava, "tickets.target_soon")]
        assert titles == [
            f"#{urgent_id} “Urgent” is close to missing its first-response target",
            f"#{urgent_id} “Urgent” is close to missing its resolution target",
        ]
        assert calm_id not in {int(re.search(r"#(\d+)", t).group(1)) for t in titles}

        clock.advance(timedelta(hours=24))  # 46.5 hours in: the low ticket's first response (48) is near
        run_scheduled_task(app, "tickets.target_soon")
        for agent in (ava, sam):
            assert f"#{calm_id} “Calm” is close to missing its first-response target" in [
                a.title for a in alerts(app, agent, "tickets.target_soon")
            ], "unassigned: the queue's recipients"
    with app.app_context():
        assert db.session.query(TargetWarning).count() == 3
        assert claim_warning(urgent_id, "first_response", start) is False, "a second run stores nothing"


def test_a_mention_reaches_the_mentioned_agent_and_no_one_else(app, client, make_user):
    ava = make_user("agent", name="Ava", email="ava.lee@example.com")
    sam = make_user("agent", name="Sam", email="sam@example.com")
    lee = make_user("agent", name="Lee", email="lee@example.com")
    customer = make_user(email="mentioned@example.com")
    sign_in(client, customer)
    ticket_id = open_ticket(client)
    sign_in(client, sam)
    note = "SECRETnote @Ava.Lee, @mentioned and @sam: the customer is rude. Mail lee@example.com."
    assert (
        post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": note, "internal": "y"}).status_code
        == 302
    )

    [alert] = alerts(app, ava, "tickets.mention")
    assert alert.title == f"Sam mentioned you on #{ticket_id} “Printer on fire”"
    assert alert.body == note
    [mail] = [m for m in mails_to(app, ava) if m["Subject"] == alert.title]
    assert "SECRETnote" in text_of(mail) and mail["Reply-To"] is None, (
        "answering by mail would reach the customer"
    )
    assert alerts(app, sam, "tickets.mention") == [], "writing @sam in one's own note tells nobody"
    assert alerts(app, lee, "tickets.mention") == [], "an address is not a mention"

    readers = {n.user_id for n in all_notices(app) if "SECRETnote" in n.body}
    assert readers == {ava.id}
    for mail in read_outbox(app):
        if "SECRETnote" in mail.as_string():
            assert mail["To"].addresses[0].addr_spec == ava.email
    sign_in(client, customer)
    assert "SECRETnote" not in client.get("/notifications").get_data(as_text=True)


def test_internal_note_text_never_reaches_a_customer(app, client, make_user):
    ava, customer = make_user("agent"), make_user()
    sign_in(client, customer)
    ticket_id = open_ticket(client)
    assign(app, ticket_id, ava)
    sign_in(client, ava)
    post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "INTERNALzebra check", "internal": "y"})
    post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "We are on it."})
    sign_in(client, customer)
    post_form(client, f"/tickets/{ticket_id}/reply", {"body": "Thanks"})

    with app.app_context():
        customers = set(db.session.scalars(select(User.id).where(User.role == "customer")))
        assert db.session.scalar(select(Message.id).where(Message.internal.is_(True))) is not None
    for notice in all_notices(app):
        assert "INTERNALzebra" not in f"{notice.title} {notice.body}"
        assert notice.user_id not in customers or not notice.kind.startswith(STAFF_KINDS)
    assert all("INTERNALzebra" not in mail.as_string() for mail in read_outbox(app))
