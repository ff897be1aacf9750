"""Pages for a signed-in person are never kept by the browser's or a proxy's cache.

A shared computer's back button, a disk cache or a company proxy must not keep someone's account
export, CSV or ticket page; public static assets keep their own caching.
"""

from __future__ import annotations

import pytest
from flask import Flask

from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.testing import log_in

pytestmark = pytest.mark.plugins(
    "tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter", "insights", "example"
)

PRIVATE = "private, no-store"
PERSONAL_TYPES = ("text/html", "application/json", "text/csv")


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    with app.app_context():
        load_demo_data()
    return app


def simple_get_routes(app: Flask) -> list[str]:
    """The GET pages with no arguments in their path (the walk of ids is the extremes suite's job)."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "auth.logout"
    )


@pytest.mark.parametrize("email", ["sara@example.com", "admin@example.com"])
def test_every_page_for_a_signed_in_person_forbids_caching(demo_app, email):
    client = demo_app.test_client()
    log_in(client, email, DEMO_PASSWORD)
    cacheable = []
    for url in simple_get_routes(demo_app):
        response = client.get(url)
        personal = response.status_code == 200 and response.mimetype in PERSONAL_TYPES
        if personal and response.headers.get("Cache-Control") != PRIVATE:
            cacheable.append(f"{url} ({response.mimetype}): {response.headers.get('Cache-Control')}")
    assert cacheable == []


def test_account_export_forbids_caching(demo_app):
    client = demo_app.test_client()
    log_in(client, "sara@example.com", DEMO_PASSWORD)
    export = client.get("/account/export")
    assert export.status_code == 200 and export.mimetype == "application/json"
    assert export.headers["Cache-Control"] == PRIVATE


def test_survey_csv_export_forbids_caching(demo_app):
    client = demo_app.test_client()
    log_in(client, "admin@example.com", DEMO_PASSWORD)
    export = client.get("/staff/surveys/1/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert export.headers["Cache-Control"] == PRIVATE


def test_static_files_keep_their_own_caching(demo_app):
    client = demo_app.test_client()
    log_in(client, "sara@example.com", DEMO_PASSWORD)
    for url in ("/static/portal.css", "/tickets/static/tickets.css"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" not in response.headers.get("Cache-Control", ""), url
        response.close()


def test_a_signed_out_visitor_is_not_told_private(demo_app):
    response = demo_app.test_client().get("/login")
    assert "private" not in response.headers.get("Cache-Control", "")
