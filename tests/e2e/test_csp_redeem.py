"""Redeeming with htmx breaks no Content-Security-Policy rule, in English and in Persian.

The portal's CSP allows styles from its own files only ("style-src 'self'"), so a fragment that htmx
swaps in must carry classes, never ``style="..."``: the browser would refuse the attribute and print
a CSP error after redeeming (issue #12). This walks every swap of the catalogue card (asking, keeping
the points, redeeming, being refused) and listens for violations the way the browser reports them:
the ``securitypolicyviolation`` event and the console.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from plugins.loyalty import ledger
from plugins.loyalty.models import Reward
from portal.plugin import db
from portal.testing import TEST_PASSWORD, create_user
from portal.testing.browser import BrowserProblems

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("loyalty")]

# Elements of the page that carry an inline style, which this CSP refuses.
INLINE_STYLES = "() => [...document.querySelectorAll('[style]')].map((e) => e.outerHTML.slice(0, 120))"


def assert_no_csp_problem(page: Page, browser_problems: BrowserProblems, step: str) -> None:
    page.wait_for_load_state("networkidle")
    console = [text for text in browser_problems.console_errors if "Content Security Policy" in text]
    assert browser_problems.csp_violations + console == [], f"after {step}"
    assert page.evaluate(INLINE_STYLES) == [], f"inline styles after {step}"


@pytest.mark.parametrize("language", ["en", "fa"])
def test_every_swap_of_a_reward_card_keeps_to_the_csp(
    app: Flask, page: Page, browser_problems: BrowserProblems, language: str
) -> None:
    person = create_user(app, name="Dariush Karimi", language=language)
    with app.app_context():
        ledger.credit(person.id, 250, "earned")
        db.session.add(Reward(title="Coffee voucher", cost=100, stock=5, per_customer_limit=1))
        db.session.commit()
    page.goto("/login")
    page.locator("input[name=email]").fill(person.email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto("/loyalty/rewards")
    card = page.locator("#reward-1")
    card.locator("a.button").click()  # Redeem: the card asks first
    expect(card.locator(".loyalty-confirm")).to_be_visible()
    assert_no_csp_problem(page, browser_problems, "asking")
    card.locator(".loyalty-confirm a.button").click()  # Keep my points: the card as it was
    expect(card.locator(".loyalty-confirm")).to_have_count(0)
    assert_no_csp_problem(page, browser_problems, "keeping the points")

    card.locator("a.button").click()
    card.locator(".loyalty-confirm button[type=submit]").click()  # Yes, redeem
    expect(card.locator(".loyalty-voucher")).to_have_text(re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}"))
    assert_no_csp_problem(page, browser_problems, "redeeming")

    # Once is all this reward allows: asking again is refused on the card (422), still within the CSP.
    card.locator("a.button").click()
    card.locator(".loyalty-confirm button[type=submit]").click()
    expect(card.locator(".flash-error")).to_be_visible()
    assert_no_csp_problem(page, browser_problems, "being refused")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
