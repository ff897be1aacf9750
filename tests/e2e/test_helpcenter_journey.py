"""A question answered before it became a ticket, in a real browser: a customer starts a ticket, an
article is suggested as they type the subject, it helps, and no ticket is opened; the staff dashboard
counts the question as answered by the help center."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from plugins.helpcenter import service
from plugins.helpcenter.models import PUBLISHED
from plugins.tickets import service as ticket_service
from plugins.tickets.models import Ticket
from portal.plugin import User, db
from portal.testing.browser import BrowserProblems, LiveServer, sign_in_page, watched_page

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("helpcenter", "tickets")]


def test_a_suggested_article_answers_the_question_and_no_ticket_is_opened(
    app: Flask,
    live_server: LiveServer,
    page: Page,
    browser: Browser,
    browser_problems: BrowserProblems,
    make_user,
) -> None:
    customer = make_user(name="Leila Karimi")
    agent = make_user("agent", name="Agent Omid")
    _publish(
        app,
        agent.id,
        "Where is my parcel?",
        "Parcels arrive within five working days. Track yours under Orders.",
    )

    sign_in_page(page, live_server, customer)
    page.goto("/tickets/new")
    page.get_by_label("Subject").press_sequentially("parcel late", delay=20)
    suggestion = page.locator("#helpcenter-suggestions").get_by_role(
        "link", name=re.compile("Where is my parcel")
    )
    expect(suggestion).to_be_visible()

    with page.context.expect_page() as opened:
        suggestion.click()
    article = opened.value
    article.wait_for_load_state()
    expect(article.get_by_role("heading", name="Where is my parcel?")).to_be_visible()
    article.get_by_role("button", name="Yes").click()
    expect(article.get_by_text("Thank you")).to_be_visible()
    # The form waits in its own tab, as typed.
    expect(page.get_by_label("Subject")).to_have_value("parcel late")

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0

    staff = watched_page(browser, live_server, browser_problems)
    sign_in_page(staff, live_server, agent)
    staff.goto("/staff/")
    figure = staff.locator("#figure-helpcenter\\.deflection")
    expect(figure).to_contain_text("Questions answered by the help center (last 30 days)")
    expect(figure).to_contain_text("100%")
    figure.get_by_role("link").first.click()
    expect(staff.get_by_role("row", name=re.compile(r"^Answered\s+1$"))).to_be_visible()
    staff.context.close()
    assert browser_problems.all() == []


def test_an_agent_inserts_a_link_to_an_article_into_the_reply(
    app: Flask, live_server: LiveServer, page: Page, browser_problems: BrowserProblems, make_user
) -> None:
    customer = make_user(name="Leila Karimi")
    agent = make_user("agent", name="Agent Omid")
    article_id = _publish(app, agent.id, "Where is my parcel?", "Track yours under Orders.")
    with app.app_context():
        ticket, _message = ticket_service.open_ticket(
            db.session.get(User, customer.id),
            subject="Late parcel",
            body="Where is it?",
            category="problem",
            priority="normal",
        )
        db.session.commit()
        ticket_id = ticket.id

    sign_in_page(page, live_server, agent)
    page.goto(f"/staff/tickets/{ticket_id}")
    reply = page.locator("#body")
    reply.fill("Hello, see")
    page.get_by_label("Find an article by its words").press_sequentially("parcel", delay=20)
    page.get_by_role("button", name="Insert link").click()
    expect(reply).to_have_value(
        re.compile(rf"^Hello, see \[Where is my parcel\?\]\(http://[^)]+/help/articles/{article_id}\)$")
    )
    expect(reply).to_be_focused()
    assert browser_problems.all() == []


def _publish(app: Flask, author_id: int, title: str, body: str) -> int:
    with app.app_context():
        author = db.session.get(User, author_id)
        article = service.save_article(
            None,
            title=title,
            body=body,
            translations=None,
            category_id=None,
            audience="everyone",
            author=author,
        )
        service.set_status(article, PUBLISHED, author)
        db.session.commit()
        return article.id
