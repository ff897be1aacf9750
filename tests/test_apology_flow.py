"""Apologising for a complaint: the message, goodwill linked to the ticket, and a follow-up survey.

What people notice: once a complaint is resolved the agent's ticket page offers an "Apologise" panel;
sending the apology is a reply the customer reads (and is sent once); goodwill within the agent's limit
is credited and names the ticket, above it waits for an administrator whose approval credits it with
the ticket; the survey step invites the customer; bad input says why and changes nothing; customers
reach none of it; switching loyalty or surveys off takes their step away and leaves the panel working.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugins.loyalty.models import Entry, GoodwillRequest
from plugins.surveys import library
from plugins.surveys.models import Invitation
from plugins.tickets import service as tickets
from plugins.tickets.models import Message, Ticket
from portal.approvals.models import Approval
from portal.events import StoredEvent
from portal.plugin import User, db, set_setting
from portal.staff.plugin_switch import switch_plugin
from portal.testing import TEST_PASSWORD, UserRecord, log_in, post_form

pytestmark = pytest.mark.plugins("tickets", "loyalty", "surveys")

PANEL = 'id="apology"'


def complaint(
    app: Flask, customer_id: int, agent_id: int, category: str = "complaint", status: str = "resolved"
) -> int:
    """A complaint the customer opened and an agent answered and moved to ``status``."""
    with app.test_request_context("/"):
        customer = db.session.get(User, customer_id)
        agent = db.session.get(User, agent_id)
        ticket, _message = tickets.open_ticket(
            customer,
            subject="Broken vase",
            body="It arrived in pieces.",
            category=category,
            priority="normal",
        )
        tickets.add_reply(ticket, agent, "We are looking into it.")
        if status != "open":
            tickets.change_status(ticket, status, agent)
        db.session.commit()
        return ticket.id


def published_csat(app: Flask) -> int:
    """The CSAT-after-a-ticket survey, published, without its trigger (so nothing is queued by itself)."""
    with app.app_context():
        survey, questions = library.build("csat_ticket", "How did we do?")
        survey.status = "published"
        survey.trigger_event = None
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.commit()
        return survey.id


def signed_in(app: Flask, user: UserRecord) -> FlaskClient:
    browser = app.test_client()
    log_in(browser, user.email, TEST_PASSWORD)
    return browser


def count(app: Flask, model: type, *where: object) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def events_named(app: Flask, name: str) -> list[dict[str, object]]:
    with app.app_context():
        return list(db.session.scalars(select(StoredEvent.payload).where(StoredEvent.name == name)))


def goodwill(client: FlaskClient, customer_id: int, ticket_id: int, points: object, **extra: object):
    data = {
        "points": points,
        "reason": f"Apology for ticket #{ticket_id}",
        "ticket_id": ticket_id,
        "request_key": "key-1",
        "next": f"/staff/tickets/{ticket_id}",
        **extra,
    }
    return post_form(
        client, f"/staff/loyalty/customers/{customer_id}/ticket-goodwill", data, follow_redirects=True
    )


@pytest.fixture
def customer(make_user) -> UserRecord:
    return make_user(name="Sara Ahmadi")


@pytest.fixture
def agent(client: FlaskClient, login_as) -> UserRecord:
    return login_as("agent", name="Agnes Agent")


def test_the_panel_shows_only_for_a_resolved_complaint_and_only_to_staff(
    app, client, agent, customer, make_user
):
    resolved = complaint(app, customer.id, agent.id)
    closed = complaint(app, customer.id, agent.id, status="closed")
    still_open = complaint(app, customer.id, agent.id, status="open")
    question = complaint(app, customer.id, agent.id, category="question")
    page = client.get(f"/staff/tickets/{resolved}").get_data(as_text=True)
    assert PANEL in page and "Apologise" in page
    assert "Dear Sara Ahmadi" in page and f"#{resolved}" in page, "the message names the customer and ticket"
    assert "Grant goodwill" in page and "Send a follow-up survey" not in page  # no survey published yet
    assert PANEL in client.get(f"/staff/tickets/{closed}").get_data(as_text=True)
    for ticket_id in (still_open, question):
        assert PANEL not in client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    with app.app_context():
        set_setting("tickets", "apology_category", "question", actor_id=None)
        db.session.commit()
    assert PANEL in client.get(f"/staff/tickets/{question}").get_data(as_text=True)
    assert PANEL not in client.get(f"/staff/tickets/{resolved}").get_data(as_text=True)
    own = signed_in(app, customer)
    assert own.get(f"/staff/tickets/{resolved}").status_code in (302, 403, 404)
    assert PANEL not in own.get(f"/tickets/{resolved}").get_data(as_text=True)


def test_resolving_a_complaint_lands_on_the_offer(app, client, agent, customer):
    ticket_id = complaint(app, customer.id, agent.id, status="open")
    response = post_form(client, f"/staff/tickets/{ticket_id}/status", {"status": "resolved"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#apology")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the apology is offered below" in page and PANEL in page


def test_the_administrator_can_change_the_message(app, client, agent, customer):
    ticket_id = complaint(app, customer.id, agent.id)
    with app.app_context():
        set_setting("tickets", "apology_message", "Sorry {name}, about #{number} ({subject}).", actor_id=None)
        db.session.commit()
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert f"Sorry Sara Ahmadi, about #{ticket_id} (Broken vase)." in page


def test_sending_the_apology_is_a_reply_the_customer_reads_once(app, client, agent, customer):
    ticket_id = complaint(app, customer.id, agent.id)
    url = f"/staff/tickets/{ticket_id}/apology"
    page = post_form(client, url, {"body": "We are truly sorry, Sara."}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "Apology sent to the customer." in page and "Apology sent on" in page
    assert "Send the apology" not in page, "the step is done and is not offered again"
    again = post_form(client, url, {"body": "Sorry again"}, follow_redirects=True).get_data(as_text=True)
    assert "already sent" in again
    assert count(app, Message, Message.ticket_id == ticket_id, Message.body.like("%sorry%")) == 1
    assert events_named(app, "tickets.apology_sent") == [{"ticket_id": ticket_id, "customer_id": customer.id}]
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "resolved", (
            "the apology does not reopen the ticket"
        )
    own = signed_in(app, customer).get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "We are truly sorry, Sara." in own


@pytest.mark.parametrize("body", ["", "   ", "x" * 10001])
def test_a_refused_apology_keeps_the_text_and_sends_nothing(app, client, agent, customer, body):
    ticket_id = complaint(app, customer.id, agent.id)
    response = post_form(client, f"/staff/tickets/{ticket_id}/apology", {"body": body})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please write a message." in page or "10000" in page
    if body.strip():
        assert body in page, "what the agent typed is kept"
    assert count(app, Message, Message.request_token == f"apology:{ticket_id}") == 0
    assert events_named(app, "tickets.apology_sent") == []


def test_the_apology_needs_the_csrf_token_and_a_resolved_complaint(app, client, agent, customer):
    ticket_id = complaint(app, customer.id, agent.id)
    assert client.post(f"/staff/tickets/{ticket_id}/apology", data={"body": "Sorry"}).status_code in (
        400,
        422,
    )
    still_open = complaint(app, customer.id, agent.id, status="open")
    post_form(client, f"/staff/tickets/{still_open}/apology", {"body": "Sorry"})
    assert count(app, Message, Message.request_token.like("apology:%")) == 0


def test_goodwill_within_the_limit_names_the_ticket(app, client, agent, customer):
    ticket_id = complaint(app, customer.id, agent.id)
    page = goodwill(client, customer.id, ticket_id, "300").get_data(as_text=True)
    assert "300 goodwill points granted." in page and "Goodwill: 300 points granted on" in page
    goodwill(client, customer.id, ticket_id, "300")  # the same form sent twice grants once
    with app.app_context():
        entry = db.session.scalars(select(Entry).where(Entry.user_id == customer.id)).one()
        assert (entry.kind, entry.points, entry.ticket_id) == ("goodwill", 300, ticket_id)
    own = signed_in(app, customer).get("/loyalty/").get_data(as_text=True)
    assert f'href="/tickets/{ticket_id}"' in own, "the customer follows the entry to their ticket"
    panel = client.get(f"/staff/customers/{customer.id}").get_data(as_text=True)
    assert f'href="/staff/tickets/{ticket_id}"' in panel


def test_goodwill_above_the_limit_waits_and_approval_credits_it_with_the_ticket(
    app, client, agent, customer, make_user
):
    ticket_id = complaint(app, customer.id, agent.id)
    page = goodwill(client, customer.id, ticket_id, "800").get_data(as_text=True)
    assert "sent to an administrator for approval" in page
    assert "Goodwill: 800 points waiting for approval" in page
    assert count(app, Entry, Entry.user_id == customer.id) == 0
    with app.app_context():
        approval = db.session.scalars(select(Approval)).one()
        assert approval.payload["ticket_id"] == ticket_id and approval.kind == "loyalty.goodwill"
        approval_id = approval.id
    admin = signed_in(app, make_user("admin", name="Ada Admin"))
    listed = admin.get("/staff/approvals/").get_data(as_text=True)
    assert f"for ticket #{ticket_id}" in listed
    post_form(admin, f"/staff/approvals/{approval_id}/decide", {"decision": "approve", "note": ""})
    with app.app_context():
        entry = db.session.scalars(select(Entry).where(Entry.user_id == customer.id)).one()
        assert (entry.points, entry.ticket_id) == (800, ticket_id)
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert "Goodwill: 800 points granted on" in page and "waiting for approval" not in page


def test_declined_goodwill_reads_declined_on_the_ticket_and_the_grant_is_offered_again(
    app, client, agent, customer, make_user
):
    ticket_id = complaint(app, customer.id, agent.id)
    goodwill(client, customer.id, ticket_id, "800")
    with app.app_context():
        approval_id = db.session.scalars(select(Approval.id)).one()
    admin = signed_in(app, make_user("admin", name="Ada Admin"))
    post_form(admin, f"/staff/approvals/{approval_id}/decide", {"decision": "decline", "note": "Too much"})
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert "waiting for approval" not in page
    assert "Goodwill: 800 points declined by an administrator" in page
    assert "Grant more goodwill for this ticket" not in page, "nothing was given: the form is open again"
    assert count(app, Entry, Entry.user_id == customer.id) == 0


@pytest.mark.parametrize(
    ("points", "reason", "message"),
    [
        ("0", "Sorry", "Points must be more than zero."),
        ("-5", "Sorry", "Points must be more than zero."),
        ("100000000000000000000", "Sorry", "Points must be a whole number."),
        ("1.5", "Sorry", "Points must be a whole number."),
        ("abc\x00", "Sorry", "Points must be a whole number."),
        ("10", "", "Give a reason for the goodwill points."),
        ("10", "x" * 301, "The reason may be at most 300 characters."),
        ("10", "\x00\x00", "Give a reason for the goodwill points."),
    ],
)
def test_bad_goodwill_says_why_keeps_the_typing_and_changes_nothing(
    app, client, agent, customer, points, reason, message
):
    ticket_id = complaint(app, customer.id, agent.id)
    page = goodwill(client, customer.id, ticket_id, points, reason=reason).get_data(as_text=True)
    assert message in page
    if reason.strip("\x00"):
        assert reason[:300] in page, "what the agent typed is kept"
    assert count(app, Entry, Entry.user_id == customer.id) == 0
    assert count(app, Approval) == 0 and count(app, GoodwillRequest) == 0


def test_goodwill_for_a_ticket_needs_the_csrf_token_and_a_ticket(app, client, agent, customer):
    ticket_id = complaint(app, customer.id, agent.id)
    url = f"/staff/loyalty/customers/{customer.id}/ticket-goodwill"
    data = {"points": "10", "reason": "Sorry", "ticket_id": ticket_id, "request_key": "k"}
    assert client.post(url, data=data).status_code in (302, 303, 400)
    for bad in ("", "0", "99999999999", "1 OR 1=1", "١٢"):
        page = post_form(client, url, {**data, "ticket_id": bad}, follow_redirects=True).get_data(
            as_text=True
        )
        assert "out of date" in page
    assert count(app, Entry) == 0


def test_the_survey_step_invites_the_customer_once(app, client, agent, customer):
    survey_id = published_csat(app)
    ticket_id = complaint(app, customer.id, agent.id)
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert "Send a follow-up survey" in page and "How did we do?" in page
    url = f"/staff/surveys/customers/{customer.id}/ticket-survey"
    data = {"survey_id": survey_id, "ticket_id": ticket_id, "next": f"/staff/tickets/{ticket_id}"}
    page = post_form(client, url, data, follow_redirects=True).get_data(as_text=True)
    assert "was sent to the customer" in page and "Survey “How did we do?” sent on" in page
    assert "Send a follow-up survey" not in page, "the step is done and is not offered again"
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert (invitation.status, invitation.subject) == ("sent", f"ticket:{ticket_id}")
    assert events_named(app, "surveys.invited") == [{"survey_id": survey_id, "customer_id": customer.id}]
    again = post_form(client, url, data, follow_redirects=True).get_data(as_text=True)
    assert "already invited" in again
    assert count(app, Invitation) == 1


@pytest.mark.parametrize("survey", ["", "0", "999999", "abc", "1" * 30])
def test_a_bad_survey_choice_says_why_and_sends_nothing(app, client, agent, customer, survey):
    published_csat(app)
    ticket_id = complaint(app, customer.id, agent.id)
    url = f"/staff/surveys/customers/{customer.id}/ticket-survey"
    data = {"survey_id": survey, "ticket_id": ticket_id, "next": f"/staff/tickets/{ticket_id}"}
    page = post_form(client, url, data, follow_redirects=True).get_data(as_text=True)
    assert "Choose a published survey" in page or "out of date" in page
    assert count(app, Invitation) == 0 and events_named(app, "surveys.invited") == []


def test_customers_reach_none_of_the_steps(app, client, make_user):
    agent = make_user("agent")
    owner = make_user(name="Owner")
    other = make_user(name="Other")
    survey_id = published_csat(app)
    ticket_id = complaint(app, owner.id, agent.id)
    for person in (owner, other):
        browser = signed_in(app, person)
        responses = [
            post_form(browser, f"/staff/tickets/{ticket_id}/apology", {"body": "Sorry"}),
            post_form(
                browser,
                f"/staff/loyalty/customers/{owner.id}/ticket-goodwill",
                {"points": "10", "reason": "r", "ticket_id": ticket_id, "request_key": "k"},
            ),
            post_form(
                browser,
                f"/staff/surveys/customers/{owner.id}/ticket-survey",
                {"survey_id": survey_id, "ticket_id": ticket_id},
            ),
        ]
        assert all(response.status_code in (302, 403, 404) for response in responses)
        for response in responses:
            if response.status_code == 302:
                assert "/staff/" not in response.headers["Location"]
    assert count(app, Message, Message.request_token.like("apology:%")) == 0
    assert count(app, Entry) == 0 and count(app, Invitation) == 0


def test_switching_loyalty_or_surveys_off_removes_their_step(app, client, agent, customer):
    published_csat(app)
    ticket_id = complaint(app, customer.id, agent.id)
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert "Grant goodwill" in page and "Send a follow-up survey" in page
    with app.app_context():
        switch_plugin("loyalty", False, actor_id=None)
        db.session.commit()
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert PANEL in page and "Grant goodwill" not in page and "Send a follow-up survey" in page
    with app.app_context():
        switch_plugin("surveys", False, actor_id=None)
        db.session.commit()
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert PANEL in page and "Send the apology" in page and "Send a follow-up survey" not in page
    post_form(client, f"/staff/tickets/{ticket_id}/apology", {"body": "Sorry, Sara."})
    assert events_named(app, "tickets.apology_sent") != []


def test_the_ticket_link_goes_when_tickets_are_switched_off(app, client, agent, customer):
    ticket_id = complaint(app, customer.id, agent.id)
    goodwill(client, customer.id, ticket_id, "50")
    with app.app_context():
        switch_plugin("tickets", False, actor_id=None)
        db.session.commit()
    own = signed_in(app, customer).get("/loyalty/").get_data(as_text=True)
    assert f"Apology for ticket #{ticket_id}" in own
    assert not re.search(rf'href="/tickets/{ticket_id}"', own)
