"""A plugin's CSS and JS on the pages it serves, and only there; nothing from another origin, ever."""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint

import pytest
from flask import Flask

from portal import create_app, plugin_manager
from portal.plugin import PageAssets, hookimpl
from portal.plugin_manager import ENTRY_POINT_GROUP, PluginError
from portal.testing import TEST_PASSWORD, create_user, log_in

EXAMPLE_CSS = '<link rel="stylesheet" href="/example/static/example.css">'


class ScriptPlugin:
    """Stands in for another installed plugin: a script on the dashboard, the example's CSS on notes."""

    @staticmethod
    @hookimpl
    def portal_page_assets(endpoint: str) -> PageAssets | None:
        if endpoint == "dashboard.home":
            return PageAssets(js=("/static/portal.js?for=dashboard",))
        if endpoint == "example.notes":
            return PageAssets(css=("/example/static/example.css",))
        return None


class CdnPlugin:
    """Stands in for a plugin that loads a stylesheet from another site, which the CSP would block."""

    @staticmethod
    @hookimpl
    def portal_page_assets() -> PageAssets:
        return PageAssets(css=("https://cdn.example.com/theme.css",))


class ProtocolRelativePlugin:
    @staticmethod
    @hookimpl
    def portal_page_assets() -> PageAssets:
        return PageAssets(js=("//cdn.example.com/app.js",))


class HtmlPlugin:
    """Returns markup, as it would for the ``head`` slot, instead of data."""

    @staticmethod
    @hookimpl
    def portal_page_assets() -> str:
        return '<link rel="stylesheet" href="/x.css">'


def stand_in_app(monkeypatch: pytest.MonkeyPatch, app_config: dict[str, object], attribute: str) -> Flask:
    """An app with the example plugin and one class of this module installed and enabled as ``other``."""
    installed = plugin_manager.entry_points
    stand_in = EntryPoint(name="other", value=f"{__name__}:{attribute}", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(plugin_manager, "entry_points", lambda **kw: [*installed(**kw), stand_in])
    return create_app({**app_config, "PORTAL_PLUGINS": ["example", "other"]})


@pytest.mark.plugins("example")
def test_portal_page_assets_links_a_stylesheet_only_on_the_plugins_own_pages(app, client, login_as):
    login_as("customer")
    notes = client.get("/example/").get_data(as_text=True)
    head = notes.split("</head>")[0]
    assert EXAMPLE_CSS in head, "the notes page links the plugin's stylesheet in its head"
    assert EXAMPLE_CSS not in client.get("/dashboard").get_data(as_text=True), "no other page downloads it"
    stylesheet = client.get("/example/static/example.css")
    assert stylesheet.status_code == 200 and stylesheet.mimetype == "text/css"


def test_portal_page_assets_of_a_switched_off_plugin_are_not_linked(app, client, login_as):
    login_as("customer")
    assert "/example/static/" not in client.get("/dashboard").get_data(as_text=True)
    assert client.get("/example/static/example.css").status_code == 404


def test_portal_page_assets_scripts_load_deferred_and_a_url_two_plugins_name_is_linked_once(
    app_config, monkeypatch
):
    app = stand_in_app(monkeypatch, app_config, "ScriptPlugin")
    client = app.test_client()
    user = create_user(app)
    log_in(client, user.email, TEST_PASSWORD)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert '<script src="/static/portal.js?for=dashboard" defer></script>' in dashboard
    notes = client.get("/example/").get_data(as_text=True)
    assert notes.count(EXAMPLE_CSS) == 1, "the example plugin and the stand-in both ask for it"
    assert client.get("/dashboard").headers["Content-Security-Policy"].startswith("default-src 'self'")


@pytest.mark.parametrize(
    ("attribute", "url"),
    [
        ("CdnPlugin", "https://cdn.example.com/theme.css"),
        ("ProtocolRelativePlugin", "//cdn.example.com/app.js"),
    ],
)
def test_portal_page_assets_from_another_origin_are_refused_loudly(app_config, monkeypatch, attribute, url):
    app = stand_in_app(monkeypatch, app_config, attribute)
    with pytest.raises(
        PluginError, match=re.escape(f"Plugin 'other' asks portal_page_assets to load '{url}'")
    ):
        app.test_client().get("/login")


def test_portal_page_assets_must_be_data_not_markup(app_config, monkeypatch):
    app = stand_in_app(monkeypatch, app_config, "HtmlPlugin")
    with pytest.raises(PluginError, match=re.escape("return a portal.plugin.PageAssets or None")):
        app.test_client().get("/login")


def stylesheets(html: str) -> list[str]:
    """The plugin stylesheets a page links, by file name."""
    return re.findall(r'<link rel="stylesheet" href="/[a-z_]+/static/([a-z_]+\.css)">', html)


@pytest.mark.plugins("tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter")
def test_built_in_plugins_style_their_pages_and_the_shared_pages_they_add_to_but_no_others(client, login_as):
    login_as("customer")
    dashboard = stylesheets(client.get("/dashboard").get_data(as_text=True))
    # The dashboard shows every plugin's widget, so each widget's styles are there.
    assert {"tickets.css", "loyalty.css", "documents.css", "surveys.css"} <= set(dashboard)
    tickets_page = stylesheets(client.get("/tickets/").get_data(as_text=True))
    assert "tickets.css" in tickets_page
    assert not {"loyalty.css", "documents.css", "surveys.css"} & set(tickets_page)
    account = stylesheets(client.get("/account/").get_data(as_text=True))
    assert not {"tickets.css", "loyalty.css", "documents.css", "surveys.css"} & set(account)


def test_a_plugin_named_like_another_plugins_prefix_is_not_taken_for_it(app):
    from portal.page_assets import is_plugin_page

    with app.test_request_context():
        assert is_plugin_page("tickets_staff.show", "tickets")
        assert not is_plugin_page("tickets_staff.show", "loyalty")
        assert not is_plugin_page("dashboard.home", "tickets")
