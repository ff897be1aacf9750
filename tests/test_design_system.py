"""The design system holds together: navigation marks where the reader is, icons exist, tokens are used.

docs/design-system.md promises plugin authors components (macros in templates/macros/components.html),
tokens (CSS custom properties) and icons (a sprite built from lucide-static). These tests keep the
promise: every macro is documented, every icon a template names is in the sprite, the plugins'
stylesheets take their colours from the tokens (so the dark scheme reaches them), and each navigation
marks exactly the link of the page being shown.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from portal.icons import ICONS, build_sprite
from portal.navigation import current_link

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ROOT / "templates" / "macros" / "components.html"
GUIDE = ROOT / "docs" / "design-system.md"
LUCIDE = ROOT / "node_modules" / "lucide-static" / "icons"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b")


def current_links(html: str, nav_class: str) -> list[tuple[str, str]]:
    """The (href, aria-current) of the marked links inside the ``<nav class=nav_class>`` of a page."""
    nav = re.search(rf'<nav class="{nav_class}".*?</nav>', html, re.S)
    assert nav, f"the page has no <nav class={nav_class}>"
    return re.findall(r'<a[^>]*href="([^"]+)"[^>]*aria-current="([^"]+)"', nav.group(0))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/dashboard", ("/dashboard", "page")),
        ("/tickets/", ("/tickets/", "page")),
        ("/tickets/12", ("/tickets/", "true")),
        ("/staff/tickets/12", ("/staff/tickets/", "true")),
        ("/staff/", ("/staff/", "page")),
        ("/staffing", (None, None)),
        ("/account/email", ("/account/email", "page")),
    ],
)
def test_current_link_is_the_closest_link_covering_the_page(path, expected):
    urls = ["/dashboard", "/tickets/", "/staff/", "/staff/tickets/", "/account/", "/account/email"]
    assert current_link(urls, path) == expected


def test_current_link_ignores_query_strings_of_the_links():
    assert current_link(["/staff/customers/?role=all", "/staff/"], "/staff/customers/") == (
        "/staff/customers/?role=all",
        "page",
    )


@pytest.mark.plugins("tickets")
def test_main_nav_marks_the_current_page_and_only_it(client: FlaskClient, login_as):
    login_as("customer")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert current_links(dashboard, "site-nav") == [("/dashboard", "page")]
    tickets = client.get("/tickets/new").get_data(as_text=True)
    assert current_links(tickets, "site-nav") == [("/tickets/", "true")], "a ticket page lies in Support"


@pytest.mark.plugins("tickets")
def test_staff_nav_marks_the_section_not_the_overview(client: FlaskClient, login_as):
    login_as("admin")
    queue = client.get("/staff/tickets/").get_data(as_text=True)
    assert current_links(queue, "staff-nav") == [("/staff/tickets/", "page")]
    assert current_links(queue, "site-nav") == [("/staff/", "true")], "the main menu marks the staff console"
    overview = client.get("/staff/").get_data(as_text=True)
    assert current_links(overview, "staff-nav") == [("/staff/", "page")]


def test_account_tabs_mark_the_open_tab(client: FlaskClient, login_as):
    login_as("customer")
    page = client.get("/account/password").get_data(as_text=True)
    assert current_links(page, "tabs") == [("/account/password", "page")]


@pytest.mark.plugins("tickets")
def test_phone_menu_is_a_details_button_around_the_main_nav(client: FlaskClient, login_as):
    """The menu folds on phones without JavaScript: a <summary> button whose <details> holds the nav."""
    login_as("customer")
    page = client.get("/dashboard").get_data(as_text=True)
    menu = re.search(
        r'<details class="site-menu">\s*<summary[^>]*>(.*?)</summary>(.*?)</details>', page, re.S
    )
    assert menu, "the main nav is not inside <details class=site-menu>"
    assert "Menu" in menu.group(1)
    assert 'aria-label="Main"' in menu.group(2) and 'href="/tickets/"' in menu.group(2)


def test_flash_messages_are_alerts_with_an_icon(client: FlaskClient):
    """The "please sign in" message on the way to a page that needs an account, drawn by ``alert``."""
    page = client.get("/dashboard", follow_redirects=True).get_data(as_text=True)
    alert = re.search(r'<p class="flash flash-(\w+)"><svg class="icon"[^>]*><use href="[^"]+#([\w-]+)"', page)
    assert alert, "the sign-in prompt is not drawn by the alert macro"
    assert alert.group(2) in ICONS


def test_every_macro_of_components_html_is_documented():
    macros = re.findall(r"{%-?\s*macro\s+(\w+)\(", COMPONENTS.read_text(encoding="utf-8"))
    guide = GUIDE.read_text(encoding="utf-8")
    assert macros, "components.html defines no macro"
    undocumented = [name for name in macros if f"`{name}(" not in guide]
    assert undocumented == [], f"docs/design-system.md does not describe {undocumented}"


def test_plugin_guide_links_to_the_design_system():
    assert "(design-system.md)" in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def used_icon_names() -> set[str]:
    """Every icon a template draws with ``icon("…")`` and every NavItem(icon="…") of a plugin."""
    names: set[str] = set()
    for folder in (ROOT / "templates", ROOT / "plugins"):
        for template in folder.rglob("*.html"):
            names |= set(re.findall(r'icon\(\s*"([\w-]+)"', template.read_text(encoding="utf-8")))
        for module in folder.rglob("*.py"):
            names |= set(re.findall(r'icon="([\w-]+)"', module.read_text(encoding="utf-8")))
    return names


def test_every_icon_a_template_names_is_in_the_sprite():
    used = used_icon_names()
    assert {"menu", "ticket", "circle-check"} <= used, "the icon scan found the icons the layout uses"
    assert sorted(used - set(ICONS)) == [], "add these names to ICONS in portal/icons.py"


def test_sprite_has_a_symbol_for_each_icon_drawn_in_the_text_colour():
    sprite = build_sprite(LUCIDE)
    assert re.findall(r'<symbol id="([\w-]+)"', sprite) == list(ICONS)
    assert sprite.count('stroke="currentColor"') == len(ICONS), "icons follow the text colour (dark scheme)"
    assert "<script" not in sprite and "style=" not in sprite


def test_an_unknown_icon_stops_the_build():
    with pytest.raises(FileNotFoundError, match="no-such-icon"):
        build_sprite(LUCIDE, ("ticket", "no-such-icon"))


def test_sprite_is_served_from_our_static_folder(client: FlaskClient):
    response = client.get("/static/vendor/icons.svg")
    assert response.status_code == 200, "run `make setup` to build static/vendor/icons.svg"
    assert response.mimetype == "image/svg+xml"
    assert '<symbol id="menu"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "stylesheet", sorted((ROOT / "plugins").glob("*/static/*.css")), ids=lambda p: p.name
)
def test_plugin_stylesheets_take_colours_from_the_tokens(stylesheet: Path):
    """A literal colour would stay light in the dark scheme; tokens follow it (docs/design-system.md)."""
    assert HEX_COLOUR.findall(stylesheet.read_text(encoding="utf-8")) == []


def test_portal_css_names_colours_only_in_its_tokens():
    css = (ROOT / "static" / "portal.css").read_text(encoding="utf-8")
    rules_outside_tokens = re.sub(r":root\s*{[^}]*}", "", css)
    assert HEX_COLOUR.findall(rules_outside_tokens) == []
    assert "prefers-color-scheme: dark" in css
