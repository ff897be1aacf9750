"""A customer's loyalty journey in a real browser: points from a rated ticket, a reward, the voucher.

Redeeming happens from the catalogue with htmx: the card shows the voucher in place.

The customer rates a resolved ticket on the tickets plugin's own page; the tickets plugin emits
``tickets.rated`` through the core outbox and the loyalty plugin, which never imports the tickets
plugin, awards the points when the event is delivered. The test may import both.
"""

from __future__ import annotations

import base64
import io
import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import update

from plugins.loyalty.models import EarningRule, Reward
from plugins.tickets import service as tickets
from portal.plugin import User, db, storage
from portal.testing import TEST_PASSWORD, create_user
from portal.testing.browser import BrowserProblems, LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets", "loyalty")]
# A real 1×1 PNG, so the browser decodes and shows the reward's picture.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def resolved_ticket(app: Flask, customer_id: int, agent_id: int) -> int:
    """A ticket the customer opened and an agent answered and resolved, through the tickets service."""
    with app.test_request_context("/"):
        customer = db.session.get(User, customer_id)
        ticket, _message = tickets.open_ticket(
            customer,
            subject="Parcel never arrived",
            body="Where is it?",
            category="question",
            priority="normal",
        )
        agent = db.session.get(User, agent_id)
        tickets.add_reply(ticket, agent, "We found it and sent it again.")  # only an answer can be rated
        tickets.change_status(ticket, "resolved", agent)
        db.session.commit()
        return ticket.id


def test_earn_from_a_rated_ticket_redeem_and_see_the_voucher(
    app: Flask, live_server: LiveServer, page: Page, browser_problems: BrowserProblems
) -> None:
    person = create_user(app, name="Dariush Karimi")
    agent = create_user(app, role="agent", name="Agent Omid")
    with app.app_context():
        db.session.execute(
            update(EarningRule).where(EarningRule.event_name == "tickets.rated").values(points=150)
        )
        image = storage().save(io.BytesIO(PNG), prefix="loyalty/rewards", filename_hint="coffee.png")
        db.session.add(
            Reward(
                title="Coffee voucher", description="A coffee on us.", cost=100, stock=5, image_key=image.key
            )
        )
        db.session.commit()
    ticket_id = resolved_ticket(app, person.id, agent.id)

    page.goto("/login")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"/tickets/{ticket_id}")
    page.get_by_role("radio", name="5 Completely").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("You rated the resolution 5 out of 5.")).to_be_visible()

    # In-process delivery runs when the rating request's app context ends, before its redirect is
    # sent, so the points are there by the time the browser asks for them.
    page.goto("/loyalty/")
    expect(page.locator("#loyalty-balance")).to_have_text("150 points")
    expect(page.get_by_text("Rated a support ticket")).to_be_visible()

    page.get_by_role("link", name="Redeem points").click()
    catalogue_url = page.url
    card = page.locator("#reward-1")
    expect(card.get_by_role("img", name="Coffee voucher")).to_be_visible()
    card.get_by_role("link", name="Redeem").click()
    card.get_by_role("button", name="Yes, redeem").click()  # the card asked first, in place
    # htmx swaps the card in place: the voucher is shown where the button was, the balance follows.
    flash = card.get_by_text(re.compile(r"Your voucher code is [A-Z0-9-]+"))
    expect(flash).to_be_visible()
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", flash.inner_text()).group(0)
    expect(page.locator("#loyalty-catalogue-balance")).to_have_text("You have 50 points.")
    assert page.url == catalogue_url

    card.get_by_role("link", name="My vouchers").click()
    expect(page).to_have_url(f"{live_server.url}/loyalty/vouchers")
    expect(page.locator(".loyalty-voucher", has_text=code)).to_be_visible()

    page.goto("/loyalty/")
    expect(page.locator("#loyalty-balance")).to_have_text("50 points")
    assert browser_problems.all() == []
