"""What the design system promises, seen in a real browser (docs/design-system.md).

On a phone the main menu is a button that opens the links, with the keyboard and with JavaScript
switched off; on a laptop the links are a row and the button is gone. The page being shown is marked
in the menu. With the reader's system set to dark, the page turns dark. Icons are drawn at text size
from our own sprite, in English and in Persian.
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from portal.testing import TEST_PASSWORD, create_user
from portal.testing.browser import STEP_TIMEOUT_MS, LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets")]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
# Relative luminance of an element's computed colour ("rgb(r, g, b)"), as WCAG defines it.
LUMINANCE = """([element, property]) => {
  const [r, g, b] = getComputedStyle(element)[property].match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const linear = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}"""


def signed_in(browser: Browser, live_server: LiveServer, email: str, **options: object) -> Page:
    """A new page signed in as ``email``; ``options`` go to the browser context (viewport, scheme…)."""
    context = browser.new_context(base_url=live_server.url, **options)  # type: ignore[arg-type]
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def luminance(page: Page, selector: str, css_property: str) -> float:
    return float(page.evaluate(LUMINANCE, [page.locator(selector).element_handle(), css_property]))


@pytest.mark.parametrize("language", ["en", "fa"])
def test_phone_menu_opens_with_the_keyboard_without_javascript(
    app: Flask, live_server: LiveServer, browser: Browser, language: str
) -> None:
    person = create_user(app, name="Leila Karimi", language=language)
    page = signed_in(browser, live_server, person.email, viewport=PHONE, java_script_enabled=False)
    menu_button = page.locator("header summary")
    support = page.locator("header nav a[href='/tickets/']")
    expect(menu_button).to_be_visible()
    expect(support).to_be_hidden()

    menu_button.focus()
    page.keyboard.press("Enter")
    expect(support).to_be_visible()
    for _ in range(5):  # past Dashboard and Organization
        page.keyboard.press("Tab")
        if support.evaluate("(a) => a === document.activeElement"):
            break
    expect(support).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/tickets/")

    expect(support).to_be_hidden()
    menu_button.focus()
    page.keyboard.press("Enter")
    expect(support).to_have_attribute("aria-current", "page")
    bounds = page.locator("header nav").bounding_box()
    assert bounds and bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= PHONE["width"], "the panel fits"
    page.context.close()


def test_laptop_menu_is_a_row_with_the_current_page_marked(
    app: Flask, live_server: LiveServer, browser: Browser
) -> None:
    person = create_user(app, name="Leila Karimi")
    page = signed_in(browser, live_server, person.email, viewport=LAPTOP)
    page.goto("/tickets/new")
    expect(page.locator("header summary")).to_be_hidden()
    links = page.locator("header nav a")
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count())) if box}
    assert len(tops) == 1, "the menu's links stand in one row"
    support = page.locator("header nav a[href='/tickets/']")
    dashboard = page.locator("header nav a[href='/dashboard']")
    expect(support).to_have_attribute("aria-current", "true")
    expect(dashboard).not_to_have_attribute("aria-current", "page")
    marked = support.evaluate("(a) => getComputedStyle(a).backgroundColor")
    plain = dashboard.evaluate("(a) => getComputedStyle(a).backgroundColor")
    assert marked != plain, "the current section is drawn differently from the other links"
    page.context.close()


@pytest.mark.parametrize(("color_scheme", "dark"), [("light", False), ("dark", True)])
def test_the_page_follows_the_readers_colour_scheme(
    app: Flask, live_server: LiveServer, browser: Browser, color_scheme: str, dark: bool
) -> None:
    person = create_user(app, name="Leila Karimi")
    page = signed_in(browser, live_server, person.email, viewport=LAPTOP, color_scheme=color_scheme)
    page.goto("/tickets/")
    background = luminance(page, "html", "backgroundColor")
    text = luminance(page, "h1", "color")
    if dark:
        assert background < 0.05 < 0.5 < text, "a dark page with light text"
    else:
        assert text < 0.05 < 0.5 < background, "a light page with dark text"
    page.context.close()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_icons_are_drawn_at_text_size_from_our_sprite(
    app: Flask, live_server: LiveServer, browser: Browser, language: str
) -> None:
    person = create_user(app, name="Leila Karimi", language=language)
    page = signed_in(browser, live_server, person.email, viewport=LAPTOP)
    icon = page.locator("header nav a[href='/tickets/'] svg.icon")
    expect(icon).to_have_attribute("aria-hidden", "true")
    assert icon.locator("use").get_attribute("href") == "/static/vendor/icons.svg#ticket"
    box = icon.bounding_box()
    assert box and 14 <= box["width"] <= 28 and 14 <= box["height"] <= 28, f"icon drawn at {box}"
    drawn = page.evaluate("""async () => (await fetch("/static/vendor/icons.svg")).text()""")
    assert '<symbol id="ticket"' in drawn
    page.context.close()
