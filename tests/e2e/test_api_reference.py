"""The API reference page draws the OpenAPI document and makes a real call with a token.

Swagger UI comes from npm into our static folder and runs under the portal's strict
Content-Security-Policy: the page must draw every operation without a CSP violation, and an
integrator who pastes a token under Authorize must be able to try a call from the page.
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal.testing import api_token, create_user
from portal.testing.browser import BrowserProblems

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets")]


def test_the_reference_page_draws_the_document_and_tries_a_call(
    app: Flask, page: Page, browser_problems: BrowserProblems
) -> None:
    person = create_user(app, name="Parisa Integrator")
    header = api_token(app, person.id, "account:read")
    document = app.test_client().get("/api/v1/openapi.json").json
    methods = {"get", "post", "put", "patch", "delete"}
    operations = sum(len(methods & set(each)) for each in document["paths"].values())

    page.goto("/api/v1/docs")
    expect(page.locator(".opblock")).to_have_count(operations)
    page.locator("button.authorize").first.click()
    page.locator(".modal-ux input[type=text]").fill(header.removeprefix("Bearer "))
    page.locator(".modal-ux button.authorize").click()
    page.locator(".modal-ux button.btn-done").click()

    me = page.locator(".opblock", has_text="/api/v1/me")
    me.locator(".opblock-summary").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    expect(me.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(me.locator(".live-responses-table")).to_contain_text(person.email)
    page.wait_for_load_state("networkidle")
    console = [text for text in browser_problems.console_errors if "Content Security Policy" in text]
    assert browser_problems.csp_violations + console == []
