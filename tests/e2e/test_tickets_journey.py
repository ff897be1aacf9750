"""A ticket from start to end in a real browser: a customer opens it, an agent answers (the reply
appears on the customer's open page without a reload) and resolves it, and the customer rates it."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from portal.testing.browser import BrowserProblems, LiveServer, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets")]


def test_open_answer_resolve_and_rate_a_ticket(
    app: Flask,
    live_server: LiveServer,
    page: Page,
    browser: Browser,
    browser_problems: BrowserProblems,
    make_user,
) -> None:
    customer = make_user(name="Leila Karimi")
    agent = make_user("agent", name="Agent Omid")
    sign_in_page(page, live_server, customer)
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill("My order arrived broken")
    page.get_by_label("Category").select_option("complaint")
    page.get_by_label("Message").fill("The **glass** was cracked.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="My order arrived broken")).to_be_visible()
    expect(page.locator(".ticket-message-body strong")).to_have_text("glass")
    ticket_url = page.url

    # A reply with htmx: appended in place, no reload.
    page.get_by_label("Your reply").fill("Photos are on the way.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Photos are on the way.")).to_be_visible()
    assert page.url == ticket_url

    staff_context = browser.new_context(base_url=live_server.url, locale="en-US")
    staff_context.set_default_timeout(5_000)
    staff = staff_context.new_page()
    sign_in_page(staff, live_server, agent)
    staff.goto("/staff/tickets/")
    staff.get_by_role("link", name="My order arrived broken").click()
    staff.get_by_label("Your reply").fill("We are sending a new one today.")
    staff.get_by_role("button", name="Send", exact=True).click()
    expect(staff.get_by_text("Reply sent to the customer.")).to_be_visible()
    staff.get_by_label("Status").select_option("resolved")
    staff.get_by_role("button", name="Change status").click()
    expect(staff.get_by_text("The ticket is resolved.")).to_be_visible()
    staff_context.close()

    page.reload()
    expect(page.get_by_text("We are sending a new one today.")).to_be_visible()
    page.get_by_role("radio", name="5 Completely").check()
    page.get_by_label("Comment").fill("Quick and kind.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("You rated the resolution 5 out of 5.")).to_be_visible()
    assert browser_problems.all() == []
