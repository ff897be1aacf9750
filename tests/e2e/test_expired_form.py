"""An htmx form sent after its page expired: the problem shows at the top and the typed text stays.

The CSRF token is spoiled in the page (as if the session had ended and a new one begun), so the
portal refuses the reply exactly as it would refuse a stale form.
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal.testing import TEST_PASSWORD
from portal.testing.browser import BrowserProblems, LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets")]

SPOIL_TOKENS = """() => {
  document.querySelector('meta[name="csrf-token"]').setAttribute("content", "expired");
  for (const field of document.querySelectorAll('input[name="csrf_token"]')) field.value = "expired";
}"""


def test_an_expired_htmx_reply_keeps_the_text_and_says_what_to_do(
    app: Flask, live_server: LiveServer, page: Page, browser_problems: BrowserProblems, make_user
) -> None:
    customer = make_user(name="Leila Karimi")
    page.goto("/login")
    page.get_by_label("Email address").fill(customer.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill("Where is my parcel?")
    page.get_by_label("Message").fill("It was due on Monday.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Where is my parcel?")).to_be_visible()

    page.evaluate(SPOIL_TOKENS)
    page.get_by_label("Your reply").fill("A long reply I do not want to type twice.")
    page.get_by_role("button", name="Send reply").click()

    problem = page.locator("#request-problem")
    expect(problem).to_contain_text("This page has expired. Keep a copy of what you typed")
    expect(page.get_by_label("Your reply")).to_have_value("A long reply I do not want to type twice.")
    expect(page.locator(".ticket-message-body", has_text="A long reply")).to_have_count(0)
    expect(page.locator("h1")).to_have_count(1)
    # The browser reports the refused request itself; nothing else may go wrong.
    assert [p for p in browser_problems.all() if "status of 400" not in p] == []
