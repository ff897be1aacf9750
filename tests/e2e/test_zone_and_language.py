"""In a real browser: the profile offers the device's time zone, and the footer switches language.

The browser runs in Tehran's zone while the account is still on UTC; the offer comes from a static
script (the CSP allows no inline one), and choosing it fills the picker.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from portal.testing import TEST_PASSWORD
from portal.testing.browser import BrowserProblems, LiveServer

pytestmark = pytest.mark.e2e


def test_the_profile_suggests_the_devices_zone_and_the_footer_switches_language(
    browser: Browser, live_server: LiveServer, browser_problems: BrowserProblems, make_user
) -> None:
    person = make_user(name="Leila Karimi", timezone="UTC")
    context = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id="Asia/Tehran")
    context.set_default_timeout(5_000)
    page = context.new_page()
    page.on("pageerror", lambda error: browser_problems.page_errors.append(str(error)))
    page.goto("/login")
    page.get_by_role("button", name="فارسی").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("input[name=email]").fill(person.email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/account/")
    expect(page.get_by_text("This device is set to Iran Time.")).to_be_visible()
    page.get_by_role("button", name="Use this zone").click()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tehran")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_text("This device is set to")).to_be_hidden()
    context.close()
    assert browser_problems.all() == []
