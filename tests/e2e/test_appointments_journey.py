"""An appointment in a real browser: an agent offers a time, the customer books it, sees it on the
dashboard tile and cancels it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from portal.plugin import utcnow
from portal.testing.browser import STEP_TIMEOUT_MS, BrowserProblems, LiveServer, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("appointments")]


def test_a_customer_books_sees_it_on_the_dashboard_and_cancels(
    app: Flask,
    live_server: LiveServer,
    page: Page,
    browser: Browser,
    browser_problems: BrowserProblems,
    make_user,
) -> None:
    customer = make_user(name="Leila Karimi", timezone="Europe/London")
    agent = make_user("agent", name="Agent Omid", timezone="Asia/Tehran")

    staff_context = browser.new_context(base_url=live_server.url, locale="en-US")
    staff_context.set_default_timeout(STEP_TIMEOUT_MS)
    staff = staff_context.new_page()
    sign_in_page(staff, live_server, agent)
    staff.goto("/staff/appointments/new")
    staff.get_by_label("What the appointment is for").fill("Fitting session")
    staff.get_by_label("Where").fill("Shop, floor 1")
    staff.get_by_label("Starts at").fill(_in_a_week())
    staff.get_by_role("button", name="Offer this time").click()
    expect(staff.get_by_role("heading", name="Fitting session")).to_be_visible()

    sign_in_page(page, live_server, customer)
    page.goto("/appointments/")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked: Fitting session")).to_be_visible()

    page.goto("/")
    tile = page.locator("text=Fitting session").first
    expect(tile).to_be_visible()

    page.goto("/appointments/")
    page.get_by_role("button", name="Cancel this appointment").click()
    expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    expect(page.get_by_text("You have no appointments booked.")).to_be_visible()
    assert browser_problems.all() == []


def _in_a_week() -> str:
    """A week ahead at 10:00 on the agent's clock (a time the form accepts in any zone)."""
    return (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT10:00")
