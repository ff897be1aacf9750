"""The staff ticket page in a real browser: a canned reply joins the draft the agent is typing, in place
with JavaScript and by a round trip without it, and never replaces what was typed."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from plugins.tickets.models import CannedReply
from portal.database import db
from portal.testing.browser import STEP_TIMEOUT_MS, BrowserProblems, LiveServer, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets")]

DRAFT = "Dear Sara,\nthank you for waiting."
CANNED = "Your refund is on its way."


def ticket_with_a_canned_reply(app: Flask, customer_id: int) -> int:
    from plugins.tickets import service
    from portal.plugin import User

    with app.test_request_context("/"):
        customer = db.session.get(User, customer_id)
        ticket, _message = service.open_ticket(
            customer,
            subject="Refund please",
            body="Where is my money?",
            category="question",
            priority="normal",
        )
        db.session.add(CannedReply(title="Refund", body=CANNED))
        db.session.commit()
        return ticket.id


def test_inserting_a_canned_reply_keeps_the_draft_without_a_reload(
    app: Flask, live_server: LiveServer, page: Page, browser_problems: BrowserProblems, make_user
) -> None:
    ticket_id = ticket_with_a_canned_reply(app, make_user(name="Sara").id)
    sign_in_page(page, live_server, make_user("agent", name="Agent Omid"))
    page.goto(f"/staff/tickets/{ticket_id}")
    page.evaluate("window.__samePage = true")
    page.get_by_label("Your reply").fill(DRAFT)
    # The staff-written title, isolated with Unicode's marks (an <option> cannot hold <bdi>).
    page.get_by_label("Insert a canned reply").select_option(label="\u2068Refund\u2069")
    page.get_by_role("button", name="Insert").click()
    expect(page.get_by_label("Your reply")).to_have_value(f"{DRAFT}\n\n{CANNED}")
    assert page.evaluate("window.__samePage === true"), "the page was reloaded"
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(page.locator(".ticket-message-body").last).to_contain_text(CANNED)
    assert browser_problems.all() == []


def test_without_javascript_the_draft_comes_back_with_the_canned_reply(
    app: Flask, live_server: LiveServer, browser: Browser, make_user
) -> None:
    ticket_id = ticket_with_a_canned_reply(app, make_user(name="Sara").id)
    agent = make_user("agent", name="Agent Omid")
    context = browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    sign_in_page(page, live_server, agent)
    page.goto(f"/staff/tickets/{ticket_id}")
    page.get_by_label("Your reply").fill(DRAFT)
    page.get_by_label("Internal note").check()
    page.get_by_role("button", name="Insert").click()
    expect(page.get_by_label("Your reply")).to_have_value(f"{DRAFT}\n\n{CANNED}")
    expect(page.get_by_label("Internal note")).to_be_checked()
    context.close()
