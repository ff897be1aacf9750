"""Rating from the resolution mail: one click opens a confirm page, its POST stores the rating once;
a link that is too old, altered, early or already used is refused with a page that says why."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugins.tickets import rating_links
from plugins.tickets.models import Ticket
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.testing import TEST_PASSWORD, csrf_token, freeze_clock, log_in, post_form, read_outbox, text_of

pytestmark = pytest.mark.plugins("tickets")

RATE_LINK = re.compile(r"https?://[^/\s]+(/tickets/rate/[^\s]+)")


def switch_to(client: FlaskClient, user) -> None:
    client.post("/logout", data={})
    client.delete_cookie("session")
    log_in(client, user.email, TEST_PASSWORD)


def open_ticket(client: FlaskClient) -> int:
    data = {"subject": "Broken kettle", "body": "It leaks.", "category": "problem", "priority": "normal"}
    response = post_form(client, "/tickets/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def rating_links_in_mail(app: Flask) -> list[str]:
    """The paths of the rating links of the last mail that has them, score 1 first."""
    for mail in reversed(read_outbox(app)):
        links = RATE_LINK.findall(text_of(mail))
        if links:
            html = mail.get_body(("html",)).get_content()
            assert all(link.replace("&", "&amp;") in html for link in links)
            return links
    return []


def ratings_stored(app: Flask, ticket_id: int) -> tuple[int | None, int]:
    with app.app_context():
        rating = db.session.get(Ticket, ticket_id).rating
        events = db.session.scalars(select(StoredEvent).where(StoredEvent.name == "tickets.rated")).all()
        return rating, len(events)


@pytest.fixture
def resolved(app, client, make_user):
    """A ticket staff answered and resolved; the client is signed out, as someone reading mail."""
    customer, agent = make_user(name="Cyrus"), make_user("agent")
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    switch_to(client, agent)
    assert post_form(client, f"/staff/tickets/{ticket_id}/reply", {"body": "Replaced it."}).status_code == 302
    assert post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "resolved"}).status_code == 302
    client.post("/logout", data={})
    client.delete_cookie("session")
    return customer, ticket_id


def test_the_resolution_mail_rates_with_one_click_and_a_confirmation(app, client, resolved):
    customer, ticket_id = resolved
    links = rating_links_in_mail(app)
    assert len(links) == 5
    page = client.get(links[3])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Broken kettle" in html
    radios = re.findall(r'<input[^>]*type="radio"[^>]*>', html)
    assert [bool(re.search(r"\bchecked\b", radio)) for radio in radios] == [False, False, False, True, False]
    assert ratings_stored(app, ticket_id) == (None, 0)  # opening the link stores nothing

    sent = client.post(links[3], data={"csrf_token": csrf_token(client), "rating": "4", "comment": "Quick"})
    assert sent.status_code == 200 and "Thank you for your rating." in sent.get_data(as_text=True)
    assert ratings_stored(app, ticket_id) == (4, 1)
    with app.app_context():
        [event] = db.session.scalars(select(StoredEvent).where(StoredEvent.name == "tickets.rated")).all()
        assert (event.actor_id, event.payload["comment"]) == (customer.id, "Quick")

    for link in (links[3], links[0]):
        again = client.get(link)
        assert again.status_code == 400
        assert "You have already rated this ticket. Thank you!" in again.get_data(as_text=True)
        assert f'href="/tickets/{ticket_id}"' in again.get_data(as_text=True)
    late = client.post(links[0], data={"csrf_token": csrf_token(client), "rating": "1"})
    assert late.status_code == 400
    assert ratings_stored(app, ticket_id) == (4, 1)


def test_a_post_without_its_csrf_token_stores_nothing(app, client, resolved):
    _customer, ticket_id = resolved
    link = rating_links_in_mail(app)[4]
    refused = client.post(link, data={"rating": "5"})
    assert refused.status_code in (400, 422)
    assert ratings_stored(app, ticket_id) == (None, 0)


def test_an_expired_link_is_refused(app, client, resolved):
    _customer, ticket_id = resolved
    link = rating_links_in_mail(app)[4]
    with freeze_clock(utcnow() + timedelta(days=31)):
        page = client.get(link)
        assert page.status_code == 400
        assert "more than 30 days old" in page.get_data(as_text=True)
        posted = client.post(link, data={"csrf_token": csrf_token(client), "rating": "5"})
        assert posted.status_code == 400
    assert ratings_stored(app, ticket_id) == (None, 0)


@pytest.mark.parametrize("forge", ["score", "garbage", "long"])
def test_a_forged_link_is_refused(app, client, resolved, forge):
    _customer, ticket_id = resolved
    link = rating_links_in_mail(app)[0]
    token = link.rsplit("/", 1)[1]
    forged = {
        "score": token.replace(token.split(".")[0], token.split(".")[0][:-2] + "NQ"),
        "garbage": "not-a-token",
        "long": "x" * 5000,
    }[forge]
    page = client.get(f"/tickets/rate/{forged}")
    assert page.status_code == 400
    assert "This rating link is not valid." in page.get_data(as_text=True)
    posted = client.post(f"/tickets/rate/{forged}", data={"csrf_token": csrf_token(client), "rating": "5"})
    assert posted.status_code == 400
    assert ratings_stored(app, ticket_id) == (None, 0)


def test_a_link_before_staff_answered_is_refused(app, client, make_user):
    customer = make_user()
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    assert post_form(client, f"/tickets/{ticket_id}/close", {}).status_code == 302
    with app.app_context():
        link = rating_links.rating_url(db.session.get(Ticket, ticket_id), 5)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 400
    assert "You can rate this ticket once our staff have answered it." in page.get_data(as_text=True)
    posted = client.post(f"/{path}", data={"csrf_token": csrf_token(client), "rating": "5"})
    assert posted.status_code == 400
    assert ratings_stored(app, ticket_id) == (None, 0)


def test_no_rating_links_when_a_ticket_is_resolved_without_an_answer(app, client, make_user):
    customer, agent = make_user(), make_user("agent")
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = open_ticket(client)
    switch_to(client, agent)
    assert post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "resolved"}).status_code == 302
    mails = [mail for mail in read_outbox(app) if mail["To"] and customer.email in mail["To"]]
    assert any("is now: Resolved" in text_of(mail) for mail in mails)
    assert rating_links_in_mail(app) == []
