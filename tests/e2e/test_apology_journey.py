"""Saying sorry for a complaint, end to end in real browsers: the message, goodwill, the approval.

A customer opens a complaint; the agent resolves it and lands on the apology the page offers; the
agent sends the apology and grants goodwill above their limit, which becomes a request; an
administrator approves it on /staff/approvals/; the customer sees the points on their loyalty page,
linked to the ticket, and the apology on the ticket itself. The tickets plugin owns the flow; the
loyalty plugin adds its step through the ``tickets.apology`` slot without importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.testing import UserRecord
from portal.testing.browser import BrowserProblems, LiveServer, sign_in_page, watched_page

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets", "loyalty")]

SUBJECT = "Rude answer at the counter"
APOLOGY = "You were treated badly and we are sorry."


def test_complaint_resolved_apology_goodwill_approved_and_seen_by_the_customer(
    live_server: LiveServer,
    page: Page,
    browser: Browser,
    browser_problems: BrowserProblems,
    make_user: Callable[..., UserRecord],
) -> None:
    customer = make_user(name="Mina Rahimi")
    agent = make_user("agent", name="Agent Omid")
    admin = make_user("admin", name="Ada Admin")

    # 1. The customer opens a complaint.
    sign_in_page(page, live_server, customer)
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Category").select_option("complaint")
    page.get_by_label("Message").fill("The clerk shouted at me.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    ticket_id = int(urlsplit(page.url).path.rstrip("/").split("/")[-1])

    # 2. The agent resolves it and lands on the apology the page offers, written for Mina.
    staff = watched_page(browser, live_server, browser_problems)
    sign_in_page(staff, live_server, agent)
    staff.goto(f"/staff/tickets/{ticket_id}")
    expect(staff.get_by_role("heading", name="Apologise")).to_have_count(0)
    staff.get_by_label("Status").select_option("resolved")
    staff.get_by_role("button", name="Change status").click()
    expect(staff.get_by_text("the apology is offered below")).to_be_visible()
    panel = staff.locator("#apology")
    expect(panel.get_by_role("heading", name="Apologise")).to_be_visible()
    message = panel.get_by_label("Message to the customer")
    expect(message).to_have_value(
        f"Dear Mina Rahimi,\n\nWe are sorry about what went wrong in your ticket #{ticket_id}, “{SUBJECT}”. "
        "You were right to tell us: it should not have happened, and we have taken it to heart.\n\n"
        "Thank you for your patience. If anything is still not right, reply to this message and we will "
        "put it right."
    )

    # 3. The agent makes the message their own and sends it; the step says it is done.
    message.fill(f"Dear Mina,\n\n{APOLOGY}")
    panel.get_by_role("button", name="Send the apology").click()
    expect(staff.get_by_text("Apology sent to the customer.")).to_be_visible()
    expect(panel.get_by_text("Apology sent on")).to_be_visible()
    expect(panel.get_by_role("button", name="Send the apology")).to_have_count(0)
    expect(staff.locator(".ticket-message.from-staff .ticket-message-body").last).to_contain_text(APOLOGY)

    # 4. Goodwill above the agent's limit becomes a request; the step says it waits.
    step = panel.locator("#apology-goodwill")
    expect(step.get_by_label("Reason")).to_have_value(f"Apology for ticket #{ticket_id}")
    step.get_by_label("Points").fill("800")
    step.get_by_role("button", name="Grant goodwill").click()
    expect(
        staff.get_by_text("800 points is above your limit of 500 points, so the grant was sent")
    ).to_be_visible()
    expect(step.get_by_text("Goodwill: 800 points waiting for approval")).to_be_visible()
    staff.context.close()

    # 5. An administrator approves it.
    office = watched_page(browser, live_server, browser_problems)
    sign_in_page(office, live_server, admin)
    office.goto("/staff/approvals/")
    request = office.locator(".approvals li", has_text=f"for ticket #{ticket_id}")
    expect(request).to_contain_text("800 goodwill points for Mina Rahimi")
    request.get_by_role("button", name="Approve").click()
    expect(office.get_by_text("Approved. The requester is told.")).to_be_visible()
    office.context.close()

    # 6. The customer sees the points, linked to the ticket, and the apology on the ticket.
    page.goto("/loyalty/")
    expect(page.locator("#loyalty-balance")).to_have_text("800 points")
    entry = page.locator("#loyalty-history tr", has_text=f"Apology for ticket #{ticket_id}")
    expect(entry).to_contain_text("+800")
    entry.get_by_role("link", name=f"Ticket #{ticket_id}").click()
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(page.get_by_text(APOLOGY)).to_be_visible()
    assert browser_problems.all() == []
