"""Document templates render within a budget: bounded repeats, bounded text, bounded time.

An administrator's template once looped ten million times in the sandbox when saved, and nested loops
would have held a worker on every customer's download. Each template below must be refused at save
time with a message saying why, quickly; a saved one that breaks the budget gives the customer the
apology page, never a hang or a 500; an ordinary template with loops still works.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from plugins.documents.models import Document, DocumentTemplate
from portal.plugin import db
from portal.testing import TEST_PASSWORD, log_in, post_form

pytestmark = pytest.mark.plugins("documents")

REPEATS = "This template repeats more than 10,000 times"
TOO_LONG = "This template makes more than 1,000,000 characters"
SANITY_SECONDS = 10  # only a bound for a hang; the message is the assertion

REFUSED = [
    ("{% for i in range(10000000) %}x{% endfor %}", REPEATS),
    ("{% for a in range(5000) %}{% for b in range(5000) %}x{% endfor %}{% endfor %}", REPEATS),
    ("{% for a in range(200) %}{% for b in range(200) %}{% endfor %}{% endfor %}", REPEATS),
    ("{% for a in range(9999999)|map('string')|select|list %}{{ a }}{% endfor %}", REPEATS),
    ("{% for a in (customer.name ~ 'x')|center(9999999)|list %}x{% endfor %}", TOO_LONG),
    ("{{ 'x' * 100000000 }}", TOO_LONG),
    ("{{ ('x' * 10000) * 10000 }}", TOO_LONG),
    ("{% set a = 'x' * 10000 %}{% set b = a ~ a %}{% set c = b + b %}{{ (c ~ c ~ c ~ c) * 8 }}", TOO_LONG),
    ("{{ ('x' * 10000)|replace('x', 'y' * 10000) }}", TOO_LONG),
    ("{{ range(10000)|join('x' * 10000) }}", TOO_LONG),
    ("{{ '%9999999s'|format(customer.name) }}", TOO_LONG),
    ("{{ '%9999999s' % customer.name }}", TOO_LONG),
    ("{{ ('x\n' * 5000)|indent(9999) }}", TOO_LONG),
    ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}", REPEATS),
    ("{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f(customer.name) }}", TOO_LONG),
    ("{% for a in range(9000) %}{{ 'x' * 200 }}{% endfor %}", TOO_LONG),
    ("<p>{{ 'x' * 10000 }}</p>" * 50, "longer than 50 pages"),
]


@pytest.fixture
def admin_client(app, make_user):
    browser = app.test_client()
    log_in(browser, make_user("admin").email, TEST_PASSWORD)
    return browser


@pytest.mark.parametrize("body, problem", REFUSED)
def test_a_template_beyond_the_budget_is_refused_at_save_time(app, admin_client, body, problem):
    started = time.monotonic()
    page = post_form(admin_client, "/staff/documents/templates/new", {"name": "Heavy", "body": body})
    assert time.monotonic() - started < SANITY_SECONDS
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and problem in text, text[text.find("cannot be used") - 200 :][:600]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DocumentTemplate)) == 0


def test_ordinary_loops_tokens_and_filters_still_render(app, admin_client):
    body = (
        "<h1>{{ customer.name|upper }}</h1>"
        "{% for word in ['tea', 'cake'] %}<p>{{ loop.index }}. {{ word|title }}</p>{% endfor %}"
        "<p>{{ range(3)|join(', ') }} {{ '%05.1f'|format(3.14159) }} {{ 'ab' * 3 }}</p>"
        "{% macro line(text) %}<p>{{ text }}</p>{% endmacro %}{{ line('Thank you') }}"
    )
    saved = post_form(admin_client, "/staff/documents/templates/new", {"name": "Letter", "body": body})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    preview = admin_client.get(saved.headers["Location"]).get_data(as_text=True)
    for part in (
        "<h1>TEST ADMIN</h1>",
        "<p>1. Tea</p>",
        "<p>2. Cake</p>",
        "0, 1, 2 003.1 ababab",
        "Thank you",
    ):
        assert part in preview


def test_a_saved_template_beyond_the_budget_gives_the_customer_the_apology_page(app, make_user):
    reader = make_user("customer")
    with app.app_context():
        template = DocumentTemplate(
            name="Loop", body="{% for a in range(5000) %}{% for b in range(5000) %}x{% endfor %}{% endfor %}"
        )
        db.session.add(template)
        db.session.flush()
        document = Document(
            title="Statement",
            category="statement",
            audience_customer_id=reader.id,
            template_id=template.id,
            published=True,
        )
        db.session.add(document)
        db.session.commit()
        document_id = document.id
    browser = app.test_client()
    log_in(browser, reader.email, TEST_PASSWORD)
    started = time.monotonic()
    response = browser.get(f"/documents/{document_id}/download")
    assert time.monotonic() - started < SANITY_SECONDS
    assert response.status_code == 503
    assert "This document cannot be made right now" in response.get_data(as_text=True)
