"""Every main page passes axe-core's automated accessibility rules, in English and in Persian.

axe-core (an npm test dependency, installed by ``npm ci``) is read from node_modules and injected into
each page after it loads. The pages' Content-Security-Policy forbids inline scripts, so the script
goes in through ``page.evaluate`` (Playwright's own channel, which the CSP does not govern) rather
than a ``<script>`` tag; the pages themselves are checked with their real CSP in force.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from test_layout_widths import CUSTOMER_PAGES, STAFF_PAGES, _set_language, _sign_in, build_long_data

from plugins.loyalty.models import Reward
from portal.plugin import db
from portal.testing import create_user
from portal.testing.browser import LiveServer, watch_csp
from portal.testing.fixtures import BACKENDS

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets", "loyalty", "documents", "surveys")]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ("en", "fa")
COLOR_SCHEMES = ("light", "dark")
SIGNED_OUT_PAGES = ["/login", "/register"]
MORE_CUSTOMER_PAGES = ["/loyalty/rewards/{reward}/redeem", "/account/notifications", "/account/password"]
EMPTY_LISTS = ["/tickets/", "/documents/", "/surveys/", "/loyalty/", "/loyalty/rewards", "/loyalty/vouchers"]
# The rules of WCAG 2.1 A and AA, and axe's best practices that a person would notice.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}"""


def axe_violations(page: Page, path: str) -> list[str]:
    """What axe finds wrong on ``path``, each problem prefixed with the page it is on."""
    page.goto(path)
    if page.locator('[hx-trigger="load"]').count():  # dashboard widgets fill themselves in
        page.wait_for_load_state("networkidle")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return [f"{path}: {problem}" for problem in page.evaluate(RUN_AXE)]


# The pages are the same whichever database holds their data: checked on the run's last backend only.
@pytest.mark.parametrize("backend", BACKENDS[-1:])
@pytest.mark.parametrize("color_scheme", COLOR_SCHEMES)
def test_main_pages_have_no_axe_violations(
    app: Flask, live_server: LiveServer, browser: Browser, color_scheme: str
) -> None:
    """Each page full of data, each list empty for a newcomer, and the sign-in page, in both languages.

    Once as the browser shows them by default and once with the reader's system set to dark, where the
    design system's dark tokens apply (docs/design-system.md): axe checks text contrast in both.
    """
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci`")
    data = build_long_data(app)
    newcomer = create_user(app, name="Newcomer")
    with app.app_context():
        data["reward"] = db.session.scalar(select(Reward.id))
    problems: list[str] = []
    blocked: list[str] = []
    for language in LANGUAGES:
        _set_language(app, language)
        walks = (
            (None, SIGNED_OUT_PAGES),
            (data["customer_email"], [*CUSTOMER_PAGES, *MORE_CUSTOMER_PAGES]),
            (newcomer.email, EMPTY_LISTS),
            (data["admin_email"], STAFF_PAGES),
        )
        for email, pages in walks:
            context = browser.new_context(
                base_url=live_server.url, locale=language, color_scheme=color_scheme
            )
            context.set_default_timeout(10_000)
            watch_csp(context, blocked)
            page = context.new_page()
            if email:
                _sign_in(page, str(email))
            for template in pages:
                problems += [
                    f"[{language}, {color_scheme}] {p}" for p in axe_violations(page, template.format(**data))
                ]
            context.close()
    assert problems == [], "axe found:\n" + "\n".join(problems)
    assert blocked == [], "the Content Security Policy blocked:\n" + "\n".join(blocked)
