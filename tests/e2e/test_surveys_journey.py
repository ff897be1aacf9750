"""The CSAT after a ticket in a real browser: an agent resolves a ticket, the customer gets the survey
invitation, answers it, and the agent sees the answer on the ticket."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from plugins.surveys import invitations, library
from portal.plugin import db, utcnow
from portal.testing.browser import STEP_TIMEOUT_MS, BrowserProblems, LiveServer, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets", "surveys")]


def test_resolved_ticket_csat_answer_shows_on_the_ticket(
    app: Flask,
    live_server: LiveServer,
    page: Page,
    browser: Browser,
    browser_problems: BrowserProblems,
    make_user,
) -> None:
    with app.test_request_context():
        survey, questions = library.build("csat_ticket")
        survey.status = "published"
        survey.trigger_delay_hours = 0
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.commit()
    customer = make_user(name="Leila Karimi")
    agent = make_user("agent", name="Agent Omid")
    sign_in_page(page, live_server, customer)
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill("Invoice is wrong")
    page.get_by_label("Category").select_option("complaint")
    page.get_by_label("Message").fill("The total is doubled.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Invoice is wrong")).to_be_visible()

    staff_context = browser.new_context(base_url=live_server.url, locale="en-US")
    staff_context.set_default_timeout(STEP_TIMEOUT_MS)
    staff = staff_context.new_page()
    sign_in_page(staff, live_server, agent)
    staff.goto("/staff/tickets/")
    staff.get_by_role("link", name="Invoice is wrong").click()
    ticket_url = staff.url
    staff.get_by_label("Status").select_option("resolved")
    staff.get_by_role("button", name="Change status").click()
    expect(staff.get_by_text("The ticket is resolved.")).to_be_visible()

    # portal tick's work, done here: the invitation is due at once (no delay on this survey).
    with app.test_request_context():
        assert invitations.send_due_invitations(utcnow()) == 1
        db.session.commit()

    page.goto("/notifications")
    page.get_by_role("link", name=re.compile("A short survey")).first.click()
    expect(page.get_by_role("heading", name="How did we do with your request?")).to_be_visible()
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_label("Anything we could have done better?").fill("Took a day, but fixed.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    staff.goto(ticket_url)
    expect(staff.get_by_text("rated how this ticket was handled 4 out of 5")).to_be_visible()
    expect(staff.get_by_text("Took a day, but fixed.")).to_be_visible()
    staff_context.close()
    assert browser_problems.all() == []
