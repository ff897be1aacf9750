"""Every main page asks the database a fixed number of times, whatever the data.

A customer with 3 of everything (tickets with replies, ledger entries and their events, documents,
surveys, help articles) and then with 30 of everything sees each page below after the same number of
SQL statements; a count that grows means a query inside a loop, which at production sizes becomes
one page that takes seconds. Each page also stays within its own ceiling, the figure measured when
the budget was set plus a little room, so a new query on a page is a decision someone makes here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpcenter_support import add_article

from plugins.documents.models import Document, Version
from plugins.insights.refresh import refresh
from plugins.loyalty import ledger
from plugins.surveys import library
from plugins.surveys.models import Invitation
from plugins.tickets.models import Message, Ticket
from portal.plugin import db, utcnow
from portal.testing import TEST_PASSWORD, log_in, statements_run

pytestmark = pytest.mark.plugins(
    "tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter", "insights"
)

# page: the most statements it may run (measured, plus room for one more).
CUSTOMER_PAGES = {
    "/dashboard": 4,
    "/tickets/": 8,
    "/tickets/{ticket}": 11,
    "/loyalty/": 9,
    "/documents/": 8,
    "/surveys/": 7,
    "/help/": 9,
}
STAFF_PAGES = {
    "/staff/": 20,
    "/staff/tickets/": 7,
    "/staff/tickets/{ticket}": 15,
    # The history reads three sources (events, portal notifications, sent mail), one seek each: +2.
    # The insights panel reads the profile and its recent stage changes: +2.
    "/staff/customers/{customer}": 27,
    "/staff/insights/at-risk": 5,
}
ADMIN_PAGES = {
    # The insights dashboard: each figure one aggregate over every customer, whatever their number.
    "/staff/insights/": 19,
}


def add_everything(app: Flask, customer_id: int, agent_id: int, count: int) -> int:
    """``count`` more of each thing the main pages list, for ``customer_id``; the newest ticket's id."""
    now = utcnow()
    with app.test_request_context():
        tickets = [
            Ticket(
                customer_id=customer_id,
                subject=f"Order {number}",
                category="question",
                priority="high" if number % 2 else "normal",
                status=("new", "open", "waiting")[number % 3],
                assignee_id=agent_id if number % 2 else None,
                first_response_due=now + timedelta(hours=number - 2),
                resolution_due=now + timedelta(days=3),
            )
            for number in range(count)
        ]
        db.session.add_all(tickets)
        db.session.flush()
        for ticket in tickets:
            for reply in range(3):
                author = agent_id if reply % 2 else customer_id
                db.session.add(Message(ticket_id=ticket.id, author_id=author, body=f"Reply {reply}"))
        for number in range(count):
            ledger.credit(customer_id, 10 + number, "earned", reason=f"purchase {number}")
            document = Document(
                title=f"Invoice {number}",
                category="invoice",
                audience_customer_id=customer_id,
                published=True,
                published_at=now,
            )
            db.session.add(document)
            db.session.flush()
            db.session.add(
                Version(
                    document_id=document.id,
                    number=1,
                    storage_key=f"documents/x/{document.id}",
                    filename="invoice.pdf",
                    mimetype="application/pdf",
                    size=3,
                    sha256="0" * 64,
                )
            )
            survey, questions = library.build("nps")
            survey.status = "published"
            db.session.add(survey)
            db.session.flush()
            for question in questions:
                question.survey_id = survey.id
                db.session.add(question)
            db.session.add(
                Invitation(survey_id=survey.id, customer_id=customer_id, status="sent", sent_at=now)
            )
        db.session.commit()
        refresh()  # the insights plugin's tick: stages, grades and risk for the 360° panel and lists
        db.session.commit()
        newest = tickets[-1].id
    for number in range(count):
        add_article(app, agent_id, f"How to return order {number}")
    return newest


def statement_counts(
    app: Flask, browser: FlaskClient, pages: dict[str, int], ids: dict[str, int]
) -> dict[str, int]:
    """The statements each page ran, asked once to warm per-process caches and then counted."""
    counts = {}
    for page in pages:
        url = page.format(**ids)
        assert browser.get(url).status_code == 200, url
        with statements_run(app) as statements:
            response = browser.get(url)
        assert response.status_code == 200, url
        counts[page] = len(statements)
    return counts


def test_every_main_page_runs_the_same_statements_with_3_and_with_30_of_everything(
    app: Flask, make_user: Callable[..., Any]
) -> None:
    customer, agent, administrator = make_user("customer"), make_user("agent"), make_user("admin")
    customers, staff, admins = app.test_client(), app.test_client(), app.test_client()
    log_in(customers, customer.email, TEST_PASSWORD)
    log_in(staff, agent.email, TEST_PASSWORD)
    log_in(admins, administrator.email, TEST_PASSWORD)

    def counts_with(ticket_id: int) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        ids = {"ticket": ticket_id, "customer": customer.id}
        return (
            statement_counts(app, customers, CUSTOMER_PAGES, ids),
            statement_counts(app, staff, STAFF_PAGES, ids),
            statement_counts(app, admins, ADMIN_PAGES, ids),
        )

    few = counts_with(add_everything(app, customer.id, agent.id, 3))
    many = counts_with(add_everything(app, customer.id, agent.id, 27))
    assert many == few, "a page's statements grew with the data (a query in a loop)"
    for counts, ceilings in zip(few, (CUSTOMER_PAGES, STAFF_PAGES, ADMIN_PAGES), strict=True):
        over = {page: count for page, count in counts.items() if count > ceilings[page]}
        assert not over, f"over budget: {over} (budgets: {ceilings})"
