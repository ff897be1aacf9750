"""Redeeming asks first: the cost, the balance after and what happens next, with and without JavaScript.

Points spent on a voucher cannot be taken back by the customer, so one click on "Redeem" only asks.
With htmx the question replaces the reward's card in place; without JavaScript the same card is a
page of its own. Only "Yes, redeem" spends.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from plugins.loyalty import ledger
from plugins.loyalty.models import Reward
from portal.plugin import db
from portal.testing import UserRecord, create_user
from portal.testing.browser import BrowserProblems, LiveServer, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("loyalty")]


def customer_with_points(app: Flask, points: int) -> UserRecord:
    person = create_user(app, name="Dariush Karimi")
    with app.app_context():
        ledger.credit(person.id, points, "earned")
        db.session.add(Reward(title="Coffee voucher", description="A coffee on us.", cost=100, stock=5))
        db.session.commit()
    return person


def balance(app: Flask, user_id: int) -> int:
    with app.app_context():
        return ledger.balance(user_id)


def test_with_htmx_the_card_asks_in_place_and_spends_only_on_yes(
    app: Flask, live_server: LiveServer, page: Page, browser_problems: BrowserProblems
) -> None:
    person = customer_with_points(app, 250)
    sign_in_page(page, live_server, person)
    page.goto("/loyalty/rewards")
    catalogue_url = page.url
    card = page.locator("#reward-1")

    card.get_by_role("link", name="Redeem").click()
    question = card.get_by_role("region", name="Redeem this reward?")
    expect(question).to_contain_text("It costs 100 points. You will have 150 points left.")
    expect(question).to_contain_text("you get a voucher code straight away")
    assert page.url == catalogue_url and balance(app, person.id) == 250, "asking spends nothing"

    card.get_by_role("button", name="Yes, redeem").click()
    expect(card.get_by_text(re.compile(r"Your voucher code is [A-Z0-9-]+"))).to_be_visible()
    expect(page.locator("#loyalty-catalogue-balance")).to_have_text("You have 150 points.")
    assert balance(app, person.id) == 150
    assert browser_problems.all() == []


def test_keeping_the_points_spends_nothing(app: Flask, live_server: LiveServer, page: Page) -> None:
    person = customer_with_points(app, 250)
    sign_in_page(page, live_server, person)
    page.goto("/loyalty/rewards")
    page.locator("#reward-1").get_by_role("link", name="Redeem").click()
    page.get_by_role("link", name="Keep my points").click()
    expect(page.locator("#loyalty-catalogue-balance")).to_have_text("You have 250 points.")
    expect(page.locator("#reward-1").get_by_role("link", name="Redeem")).to_be_visible()
    assert balance(app, person.id) == 250


def test_without_javascript_the_question_is_a_page(
    app: Flask, live_server: LiveServer, browser: Browser
) -> None:
    person = customer_with_points(app, 120)
    context = browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    sign_in_page(page, live_server, person)
    page.goto("/loyalty/rewards")
    page.locator("#reward-1").get_by_role("link", name="Redeem").click()
    expect(page).to_have_url(f"{live_server.url}/loyalty/rewards/1/redeem")
    expect(page.get_by_role("heading", name="Redeem a reward", level=1)).to_be_visible()
    expect(page.get_by_text("It costs 100 points. You will have 20 points left.")).to_be_visible()
    assert balance(app, person.id) == 120

    page.get_by_role("button", name="Yes, redeem").click()
    expect(page).to_have_url(f"{live_server.url}/loyalty/vouchers")
    expect(page.get_by_text(re.compile(r"Redeemed\. Your voucher code is [A-Z0-9-]+\."))).to_be_visible()
    assert balance(app, person.id) == 20
    context.close()
