"""People on a ticket: staff open one for a customer, colleagues in copy read and answer, and every
message says who wrote it."""

from __future__ import annotations

import html
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select

from plugins.tickets.contributions import erase_customer_data
from plugins.tickets.labels import STATUS_LABELS
from plugins.tickets.models import Message, Ticket
from plugins.tickets.queries import visible_ticket
from plugins.tickets.watchers import TicketWatcher
from portal.database import db
from portal.events import StoredEvent
from portal.notifications.models import Notification
from portal.organizations.membership import add_member, create_organization
from portal.plugin import User
from portal.testing import TEST_PASSWORD, UserRecord, log_in, post_form, read_outbox, text_of

pytestmark = pytest.mark.plugins("tickets")


def switch_to(client: FlaskClient, user: UserRecord) -> None:
    client.post("/logout", data={})
    client.delete_cookie("session")
    log_in(client, user.email, TEST_PASSWORD)


def open_ticket(client: FlaskClient, subject: str = "Printer on fire", **extra: object) -> int:
    data = {"subject": subject, "body": "It smokes.", "category": "problem", "priority": "normal", **extra}
    response = post_form(client, "/tickets/new", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def add_to_copy(client: FlaskClient, ticket_id: int, email: str, *, staff: bool = False):
    prefix = "/staff/tickets" if staff else "/tickets"
    return post_form(client, f"{prefix}/{ticket_id}/watchers", {"email": email})


def watcher_ids(app: Flask, ticket_id: int) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(TicketWatcher.email, TicketWatcher.id).where(TicketWatcher.ticket_id == ticket_id)
        ).all()
    return dict(rows)


def mails_to(app: Flask, email: str) -> list:
    return [mail for mail in read_outbox(app) if mail["To"].addresses[0].addr_spec == email]


def file_links(page: str, ticket_id: int) -> list[str]:
    return re.findall(rf"/tickets/{ticket_id}/files/\d+", page)


# --- Staff open a ticket for a customer ------------------------------------------------------------


def test_staff_open_a_ticket_for_a_customer_found_by_search(app, client, make_user):
    sara = make_user(name="Sara Sadeghi", email="sara.s@example.com")
    make_user(name="Someone Else")
    alex = make_user("agent", name="Alex Agent")
    log_in(client, alex.email, TEST_PASSWORD)
    assert "/staff/tickets/new" in client.get("/staff/tickets/").get_data(as_text=True)

    found = client.get("/staff/tickets/new?q=sadeghi").get_data(as_text=True)
    assert "Sara Sadeghi" in found and f'value="{sara.id}"' in found and "Someone Else" not in found
    fragment = client.get("/staff/tickets/new?q=SARA.S", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert 'id="customer-matches"' in html and "Sara Sadeghi" in html and "<html" not in html
    assert "No customer matches" in client.get("/staff/tickets/new?q=nobody-at-all").get_data(as_text=True)

    fields = {
        "subject": "Card declined at the till",
        "category": "problem",
        "priority": "high",
        "channel": "counter",
        "body": "My card was declined twice today.",
        "q": "sadeghi",
    }
    unchosen = post_form(client, "/staff/tickets/new", fields)
    assert unchosen.status_code == 422
    page = unchosen.get_data(as_text=True)
    assert "Search for the customer and choose them from the list." in page
    assert "Card declined at the till" in page and "My card was declined twice today." in page
    # A staff account is not a customer a ticket can be opened for.
    assert post_form(client, "/staff/tickets/new", {**fields, "customer": alex.id}).status_code == 422

    opened = post_form(client, "/staff/tickets/new", {**fields, "customer": sara.id})
    assert opened.status_code == 302
    ticket_id = int(opened.headers["Location"].rstrip("/").split("/")[-1])
    assert opened.headers["Location"].endswith(f"/staff/tickets/{ticket_id}")
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert (ticket.customer_id, ticket.opened_by_id, ticket.channel) == (sara.id, alex.id, "counter")
        assert ticket.first_response_at is None  # the customer's request is not an answer
        [first] = db.session.scalars(select(Message).where(Message.ticket_id == ticket_id)).all()
        assert (first.author_id, first.from_staff) == (alex.id, False)
        [created] = db.session.scalars(select(StoredEvent).where(StoredEvent.name == "tickets.created")).all()
        assert (created.customer_id, created.actor_id) == (sara.id, alex.id)
    written = "Written by <bdi>Alex Agent</bdi> (agent) for <bdi>Sara Sadeghi</bdi>, at the counter"
    assert written in client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)

    switch_to(client, sara)
    assert "Card declined at the till" in client.get("/tickets/").get_data(as_text=True)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert written in page and "My card was declined twice today." in page


def test_the_same_new_ticket_form_sent_twice_opens_one_ticket(app, client, make_user):
    sara = make_user(name="Sara Sadeghi")
    agent = make_user("agent")
    log_in(client, agent.email, TEST_PASSWORD)
    token = re.search(
        r'name="token" type="hidden" value="([0-9a-f]+)"', client.get("/staff/tickets/new").text
    )
    fields = {"customer": sara.id, "subject": "Call", "category": "question", "priority": "normal"}
    fields.update(channel="phone", body="Asked about opening hours.", token=token.group(1))
    first = post_form(client, "/staff/tickets/new", fields)
    second = post_form(client, "/staff/tickets/new", fields)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert len(db.session.scalars(select(Ticket.id)).all()) == 1


def test_a_customer_cannot_reach_the_new_ticket_page_for_customers(client, login_as):
    login_as("customer")
    assert client.get("/staff/tickets/new").status_code == 403
    assert client.get("/staff/tickets/new?q=a", headers={"HX-Request": "true"}).status_code == 403
    assert post_form(client, "/staff/tickets/new", {"subject": "x"}).status_code == 403


# --- Colleagues in copy ------------------------------------------------------------------------------


def test_a_colleague_in_copy_reads_replies_and_gets_the_staff_reply_by_mail(app, client, make_user):
    owner = make_user(name="Olivia Owner")
    colleague = make_user(name="Cora Colleague", email="cora@example.com")
    agent = make_user("agent", name="Ava Agent")
    log_in(client, owner.email, TEST_PASSWORD)
    ticket_id = open_ticket(client, files=[(io.BytesIO(b"error log\n"), "log.txt")])
    assert add_to_copy(client, ticket_id, "  CORA@Example.com ").status_code == 302
    assert watcher_ids(app, ticket_id).keys() == {"cora@example.com"}
    assert "cora@example.com" in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    switch_to(client, colleague)
    listing = client.get("/tickets/").get_data(as_text=True)
    assert "Printer on fire" in listing and "Shared with you" in listing
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "It smokes." in page and "Olivia Owner shared this ticket with you" in page.replace(
        "<bdi>", ""
    ).replace("</bdi>", "")
    [link] = file_links(page, ticket_id)
    assert client.get(link).data == b"error log\n"
    assert client.get(f"/tickets/{ticket_id}/messages").status_code == 200
    assert (
        post_form(client, f"/tickets/{ticket_id}/reply", {"body": "It is the blue printer."}).status_code
        == 302
    )
    assert "<bdi>Cora Colleague</bdi>" in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert mails_to(app, "cora@example.com") == []  # not told about their own reply

    switch_to(client, agent)
    post_form(
        client,
        f"/staff/tickets/{ticket_id}/reply",
        {"body": "NOTEsecret the printer is old", "internal": "y"},
    )
    post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "A technician comes at ten."})
    staff_page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert "<bdi>Cora Colleague</bdi>" in staff_page and "<bdi>Ava Agent</bdi> (agent)" in staff_page

    [mail] = mails_to(app, "cora@example.com")
    assert "A technician comes at ten." in text_of(mail)
    assert re.search(rf"tickets-{ticket_id}-", str(mail["Reply-To"]))
    assert all("NOTEsecret" not in sent.as_string() for sent in read_outbox(app))
    with app.app_context():
        notices = db.session.scalars(select(Notification).where(Notification.user_id == colleague.id)).all()
        assert [n.kind for n in notices] == ["tickets.reply"]
        assert all("NOTEsecret" not in f"{n.title} {n.body}" for n in notices)
    switch_to(client, colleague)
    assert "NOTEsecret" not in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_a_removed_colleague_loses_access_at_once(app, client, make_user):
    owner, colleague = make_user(), make_user(email="gone@example.com")
    log_in(client, owner.email, TEST_PASSWORD)
    ticket_id = open_ticket(client, files=[(io.BytesIO(b"a file\n"), "a.txt")])
    add_to_copy(client, ticket_id, "gone@example.com")
    [link] = file_links(client.get(f"/tickets/{ticket_id}").get_data(as_text=True), ticket_id)
    urls = (f"/tickets/{ticket_id}", f"/tickets/{ticket_id}/messages", link)

    colleague_client = app.test_client()
    log_in(colleague_client, colleague.email, TEST_PASSWORD)
    assert [colleague_client.get(url).status_code for url in urls] == [200, 200, 200]

    watcher_id = watcher_ids(app, ticket_id)["gone@example.com"]
    assert post_form(client, f"/tickets/{ticket_id}/watchers/{watcher_id}/remove", {}).status_code == 302
    assert watcher_ids(app, ticket_id) == {}
    assert [colleague_client.get(url).status_code for url in urls] == [404, 404, 404]
    assert "Printer on fire" not in colleague_client.get("/tickets/").get_data(as_text=True)
    reply = post_form(colleague_client, f"/tickets/{ticket_id}/reply", {"body": "still here?"})
    assert reply.status_code == 404


def test_a_colleague_in_copy_cannot_close_reopen_rate_or_change_the_copy_list(app, client, make_user):
    owner, colleague, other = make_user(), make_user(email="cc@example.com"), make_user(email="x@example.com")
    agent = make_user("agent")
    log_in(client, owner.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    add_to_copy(client, ticket_id, "cc@example.com")
    add_to_copy(client, ticket_id, "x@example.com")
    other_watcher = watcher_ids(app, ticket_id)["x@example.com"]

    switch_to(client, colleague)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Close this ticket" not in page and "Add to copy" not in page and "Remove" not in page
    assert post_form(client, f"/tickets/{ticket_id}/close", {}).status_code == 403
    assert add_to_copy(client, ticket_id, "friend@example.com").status_code == 403
    assert post_form(client, f"/tickets/{ticket_id}/watchers/{other_watcher}/remove", {}).status_code == 403

    switch_to(client, agent)
    post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "Fixed."})
    post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "resolved"})
    switch_to(client, colleague)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Did this solve your problem?" not in page and "Reopen this ticket" not in page
    assert post_form(client, f"/tickets/{ticket_id}/rate", {"rating": "1"}).status_code == 403
    assert post_form(client, f"/tickets/{ticket_id}/reopen", {}).status_code == 403
    refused = post_form(client, f"/tickets/{ticket_id}/reply", {"body": "Not fixed for me"})
    assert refused.status_code == 422
    assert "Only the person who opened it can reopen it." in refused.get_data(as_text=True)
    assert "Not fixed for me" in refused.get_data(as_text=True)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert (ticket.status, ticket.rating) == ("resolved", None)
    assert set(watcher_ids(app, ticket_id)) == {"cc@example.com", "x@example.com"}
    assert other  # the other address has an account too: it changes nothing


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("not-an-address", "Enter an email address like name@example.com."),
        ("", "Enter your colleague's email address."),
        ("a" * 250 + "@example.com", "An email address has at most 254 characters."),
        ("SELF", "That is your own address: add a colleague's."),
        ("twice@example.com", "twice@example.com is in copy already."),
    ],
)
def test_a_refused_address_is_explained_and_kept_in_the_form(app, client, login_as, email, error):
    me = login_as("customer")
    ticket_id = open_ticket(client)
    assert add_to_copy(client, ticket_id, "twice@example.com").status_code == 302
    typed = me.email.upper() if email == "SELF" else email
    response = add_to_copy(client, ticket_id, typed)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert error in page
    assert f'value="{typed}"' in page
    assert set(watcher_ids(app, ticket_id)) == {"twice@example.com"}


def test_at_most_ten_people_in_copy(app, client, login_as):
    login_as("customer")
    ticket_id = open_ticket(client)
    for n in range(10):
        assert add_to_copy(client, ticket_id, f"colleague{n}@example.com").status_code == 302
    response = add_to_copy(client, ticket_id, "eleventh@example.com")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "A ticket can have at most 10 people in copy. Remove someone first." in page
    assert 'value="eleventh@example.com"' in page
    assert len(watcher_ids(app, ticket_id)) == 10


def test_an_address_without_a_confirmed_account_reads_nothing_and_gets_a_plain_mail(app, client, make_user):
    owner = make_user()
    unconfirmed = make_user(email="later@example.com", verified=False)
    agent = make_user("agent")
    log_in(client, owner.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    add_to_copy(client, ticket_id, "later@example.com")
    add_to_copy(client, ticket_id, "outsider@example.com")
    with app.app_context():
        # Anyone could have typed that address at sign-up: until it is confirmed it reads nothing.
        assert visible_ticket(db.session.get(User, unconfirmed.id), ticket_id) is None

    switch_to(client, agent)
    post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "We ordered a new toner."})
    post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "resolved"})
    for address in ("outsider@example.com", "later@example.com"):
        reply_mail, status_mail = mails_to(app, address)
        assert "We ordered a new toner." in text_of(reply_mail)
        assert "/register" in text_of(reply_mail) and address in text_of(reply_mail)
        assert re.search(rf"tickets-{ticket_id}-", str(reply_mail["Reply-To"]))
        assert "is now: Resolved" in status_mail["Subject"]


def test_status_changes_reach_the_colleague_in_their_language(app, client, make_user):
    owner = make_user()
    colleague = make_user(email="fa@example.com", language="fa")
    agent = make_user("agent")
    log_in(client, owner.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    add_to_copy(client, ticket_id, "fa@example.com")
    switch_to(client, agent)
    post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "waiting"})
    with app.app_context():
        [notice] = db.session.scalars(select(Notification).where(Notification.user_id == colleague.id)).all()
    assert notice.kind == "tickets.status" and "Printer on fire" in notice.title
    with app.test_request_context(), force_locale("fa"):
        waiting = str(STATUS_LABELS["waiting"])
    assert waiting in notice.title  # in Persian, the colleague's language, not the agent's


def test_staff_see_and_change_the_copy_list(app, client, make_user):
    owner, agent = make_user(), make_user("agent")
    log_in(client, owner.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    add_to_copy(client, ticket_id, "first@example.com")
    switch_to(client, agent)
    assert "first@example.com" in client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert add_to_copy(client, ticket_id, "second@example.com", staff=True).status_code == 302
    bad = add_to_copy(client, ticket_id, "second@example.com", staff=True)
    assert bad.status_code == 422 and "second@example.com is in copy already." in bad.get_data(as_text=True)
    first = watcher_ids(app, ticket_id)["first@example.com"]
    removed = post_form(client, f"/staff/tickets/{ticket_id}/watchers/{first}/remove", {})
    assert removed.status_code == 302
    assert set(watcher_ids(app, ticket_id)) == {"second@example.com"}


def test_a_manager_manages_the_copy_list_of_a_members_ticket(app, client, make_user):
    manager, member = make_user(name="Mina Manager"), make_user(name="Reza Member")
    with app.app_context():
        organization = create_organization("Parsian", "company", actor_id=None)
        for person, role in ((manager, "manager"), (member, "member")):
            add_member(organization, db.session.get(User, person.id), role, actor_id=None, via="test")
        db.session.commit()
    log_in(client, member.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    switch_to(client, manager)
    assert add_to_copy(client, ticket_id, "accountant@example.com").status_code == 302
    # The owner is on the ticket already; putting them in copy too would mail them twice.
    twice = add_to_copy(client, ticket_id, member.email)
    assert twice.status_code == 422 and "opened this ticket and follows it already" in twice.get_data(
        as_text=True
    )


def test_erasing_an_account_takes_its_address_out_of_copy_and_the_owners_ticket_with_its_list(
    app, client, make_user
):
    owner, colleague = make_user(), make_user(email="leaving@example.com")
    log_in(client, owner.email, TEST_PASSWORD)
    kept = open_ticket(client, subject="Kept")
    add_to_copy(client, kept, "leaving@example.com")
    add_to_copy(client, kept, "stays@example.com")
    with app.app_context():
        erase_customer_data(db.session.get(User, colleague.id))
        db.session.commit()
    assert set(watcher_ids(app, kept)) == {"stays@example.com"}
    with app.app_context():
        erase_customer_data(db.session.get(User, owner.id))
        db.session.commit()
        assert db.session.scalars(select(TicketWatcher.id)).all() == []
