"""A person who uses only the keyboard signs in and opens their ticket, and always sees where they are.

Tab and Enter only, no mouse: every element that takes the focus on the way must show a focus
indicator (an outline at least 2 px wide or a box-shadow, which the portal's stylesheet draws for
``:focus-visible``; the browser's own 1 px ring is too faint to count), in English and in Persian,
where the page runs right to left.
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from plugins.tickets import service as tickets
from portal.plugin import User, db
from portal.testing import TEST_PASSWORD, create_user
from portal.testing.browser import STEP_TIMEOUT_MS, LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets")]

MAX_TABS = 60
# What the focused element looks like: its tag and text, and whether a focus ring is drawn around it.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow !== "none";
  const name = (element.getAttribute("href") || element.getAttribute("name") || element.textContent || "")
    .trim().slice(0, 40);
  return {ring: outline || shadow, what: `${element.tagName.toLowerCase()} ${name}`};
}"""


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus; each element passed on the way shows a focus ring."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["ring"], f"{focused['what']} has the focus but no visible focus indicator"
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} was not reached in {MAX_TABS} presses of Tab")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_sign_in_and_open_a_ticket_with_the_keyboard_alone(
    app: Flask, live_server: LiveServer, browser: Browser, language: str
) -> None:
    person = create_user(app, name="Leila Karimi", language=language)
    with app.test_request_context("/"):
        ticket, _message = tickets.open_ticket(
            db.session.get(User, person.id),
            subject="My order arrived broken",
            body="The glass was cracked.",
            category="question",
            priority="normal",
        )
        db.session.commit()
        ticket_id = ticket.id
    context = browser.new_context(base_url=live_server.url, locale=language)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()

    page.goto("/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type(person.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)

    tab_to(page, "header a[href='/tickets/']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/tickets/")
    tab_to(page, f"main a[href='/tickets/{ticket_id}']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/tickets/{ticket_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("My order arrived broken")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
    context.close()
