"""A customer's loyalty journey in a real browser: points from a rated ticket, a reward, the voucher.

The ticket rating arrives as the ``tickets.rated`` event the tickets plugin emits; the loyalty plugin
never imports that plugin, so the journey emits the event itself, as the contract describes it.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from support import TEST_PASSWORD, create_user

from e2e.conftest import BrowserProblems, LiveServer
from plugins.loyalty.models import Reward
from portal.plugin import db, emit, set_setting

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("loyalty")]


def test_earn_from_a_rated_ticket_redeem_and_see_the_voucher(
    app: Flask, live_server: LiveServer, page: Page, browser_problems: BrowserProblems
) -> None:
    person = create_user(app, name="Dariush Karimi")
    with app.app_context():
        set_setting("loyalty", "points_ticket_rated", 150, actor_id=None)
        db.session.add(Reward(title="Coffee voucher", description="A coffee on us.", cost=100, stock=5))
        emit("tickets.rated", {"ticket_id": 9, "customer_id": person.id, "rating": 5}, customer_id=person.id)
        db.session.commit()

    page.goto("/login")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto("/loyalty/")
    expect(page.locator("#loyalty-balance")).to_have_text("150 points")
    expect(page.get_by_text("Rated a support ticket")).to_be_visible()

    page.get_by_role("link", name="Redeem points").click()
    page.locator("#reward-1").get_by_role("button", name="Redeem").click()
    expect(page).to_have_url(f"{live_server.url}/loyalty/vouchers")
    flash = page.get_by_text(re.compile(r"Your voucher code is [A-Z0-9-]+"))
    expect(flash).to_be_visible()
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", flash.inner_text()).group(0)
    expect(page.locator(".loyalty-voucher", has_text=code)).to_be_visible()

    page.goto("/loyalty/")
    expect(page.locator("#loyalty-balance")).to_have_text("50 points")
    assert browser_problems.all() == []
