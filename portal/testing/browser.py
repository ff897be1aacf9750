"""Real-browser fixtures: the test app served over HTTP, Debian's chromium driven by Playwright.

An opt-in pytest plugin (it needs Playwright, a test dependency): ``-p portal.testing.browser`` on the
command line or in ``addopts``. It gives ``live_server``, ``browser``, ``page`` and ``browser_problems``,
and ``sign_in_page`` signs a page in as a test's user.

One browser per module (starting it is the slow part), a fresh context per test (cookies and storage
never leak between tests), and every page records what the browser complained about so a journey
can assert that nothing went wrong on the way: console errors, uncaught exceptions, blocked content.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from werkzeug.serving import make_server

from portal.testing import TEST_PASSWORD, UserRecord
from portal.testing.fixtures import service_unavailable

CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
# Offline and quiet: no sandbox (containers), no GPU, nothing phoning home or updating itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Reports Content-Security-Policy violations to the test through a binding Playwright installs;
# init scripts and bindings are injected by the browser itself, so the CSP does not block them.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
});
"""

# How long a journey's step waits for the page: long enough for a two-core CI machine running the
# suite's other workers beside the browser, short enough that a page that never answers still fails.
STEP_TIMEOUT_MS = 15_000


def watch_csp(context: BrowserContext, violations: list[str]) -> list[str]:
    """Record into ``violations`` every Content Security Policy violation on any page of ``context``.

    A blocked inline style or script is invisible to a person (the page just looks or acts a little
    wrong) and to the server, so a walk over pages asserts the list stays empty.
    """

    def on_violation(_source: Any, description: str) -> None:
        violations.append(description)

    context.expose_binding("__reportCspViolation", on_violation)
    context.add_init_script(CSP_LISTENER)
    return violations


@dataclass(frozen=True)
class LiveServer:
    url: str


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The test's app on 127.0.0.1 and a free port, served by werkzeug in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """Headless chromium from the system; Playwright is never allowed to download one."""
    if not os.access(CHROMIUM, os.X_OK):
        service_unavailable(f"the end-to-end tests need chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class BrowserProblems:
    """What the browser reported during a test; a clean journey leaves every list empty."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return self.console_errors + self.page_errors + self.csp_violations


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


def watched_page(browser: Browser, live_server: LiveServer, problems: BrowserProblems) -> Page:
    """A page in a context of its own (its own cookies: another person), in English, pointed at the live
    server, recording its console errors, page errors and CSP violations in ``problems``; a journey with
    two people opens the second one with this. Close it with ``page.context.close()``."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.console_errors.append(f"{message.text} ({message.location.get('url')})")

    watch_csp(context, problems.csp_violations)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    return page


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, browser_problems: BrowserProblems) -> Iterator[Page]:
    """A page in a new context pointed at the live server, in English, recording its problems."""
    page = watched_page(browser, live_server, browser_problems)
    yield page
    page.context.close()


def sign_in_page(
    page: Page, live_server: LiveServer | str, user: UserRecord, password: str = TEST_PASSWORD
) -> None:
    """Sign ``page`` in as ``user`` through the real sign-in form, in any language the page is in.

    A journey starts where it matters (``sign_in_page(page, live_server, make_user())``) with a
    session made as a person's is. Fails with what the form said when the sign-in is refused.
    """
    base = live_server.url if isinstance(live_server, LiveServer) else live_server
    page.goto(f"{base}/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").last.click()
    try:
        page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    except PlaywrightTimeoutError:
        said = page.locator("main").inner_text()
        raise AssertionError(f"Signing in as {user.email} was refused; the page says: {said}") from None
