"""A newcomer's first visit in a real browser: register, confirm by email, sign in, see the dashboard.

The Flask test client cannot see what only a browser sees: the CSP blocking our own scripts or
styles, htmx failing to load, a form that does not submit. This journey catches those.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal.testing import TEST_PASSWORD, read_outbox, text_of
from portal.testing.browser import BrowserProblems, LiveServer

pytestmark = pytest.mark.e2e

NAME = "Nasrin Tehrani"
EMAIL = "nasrin@example.com"


def test_register_confirm_sign_in_and_see_the_dashboard(
    app: Flask, live_server: LiveServer, page: Page, browser_problems: BrowserProblems, tmp_path: Path
) -> None:
    page.goto("/register")
    page.get_by_label("Name").fill(NAME)
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(f"{live_server.url}/register/check-email")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text(f"We sent a message to {EMAIL}.")).to_be_visible()

    [mail] = read_outbox(app)
    assert mail["To"].addresses[0].addr_spec == EMAIL
    link = re.search(r"https?://\S+/verify/\S+", text_of(mail))
    assert link, text_of(mail)
    assert link.group(0).startswith(f"{live_server.url}/verify/"), "links are built from the request's host"
    page.goto(link.group(0))

    expect(page).to_have_url(f"{live_server.url}/login")
    expect(
        page.get_by_text("Thank you, your email address is confirmed. You can sign in now.")
    ).to_be_visible()
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {NAME}")
    expect(page.get_by_role("heading", name="Your portal is ready")).to_be_visible()
    expect(page.get_by_role("link", name="Meanwhile, check your profile")).to_be_visible()
    assert page.evaluate("typeof htmx") == "object", "htmx did not load"
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)

    assert browser_problems.all() == []
