"""Plugins named for people: a display name and a description on the staff console, in their language."""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint

import pytest
from flask import Flask
from flask_babel import lazy_gettext as _l

from portal import create_app, plugin_manager
from portal.plugin import PluginInfo, hookimpl
from portal.plugin_manager import ENTRY_POINT_GROUP, PluginError
from portal.testing import TEST_PASSWORD, create_user, log_in, post_form


class WeatherPlugin:
    """Stands in for another installed plugin that names itself."""

    @staticmethod
    @hookimpl
    def portal_plugin_info() -> PluginInfo:
        return PluginInfo(display_name=_l("Weather"), description=_l("Rain or shine, before you travel."))


class NamelessPlugin:
    """Stands in for a plugin written before the hook existed: it implements another hook only."""

    @staticmethod
    @hookimpl
    def portal_migrations_folder() -> None:
        return None


class WrongAnswerPlugin:
    @staticmethod
    @hookimpl
    def portal_plugin_info() -> str:
        return "Weather"


def row_of(page: str, name: str) -> str:
    match = re.search(rf'<tr id="plugin-{name}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {name}"
    return match.group(1)


def admin_on(app: Flask, **fields: object):
    client = app.test_client()
    admin = create_user(app, "admin", **fields)
    log_in(client, admin.email, TEST_PASSWORD)
    return client


def with_stand_ins(monkeypatch: pytest.MonkeyPatch, app_config: dict[str, object], **plugins: str) -> Flask:
    """An app with classes of this module installed as more plugins (name=class), all enabled."""
    installed = plugin_manager.entry_points
    stand_ins = [
        EntryPoint(name=name, value=f"{__name__}:{attribute}", group=ENTRY_POINT_GROUP)
        for name, attribute in plugins.items()
    ]
    monkeypatch.setattr(plugin_manager, "entry_points", lambda **kw: [*installed(**kw), *stand_ins])
    return create_app({**app_config, "PORTAL_PLUGINS": ["example", *plugins]})


@pytest.mark.plugins("example")
def test_portal_plugin_info_names_every_installed_plugin_on_the_plugins_page(app, client, login_as):
    login_as("admin")
    page = client.get("/staff/plugins").get_data(as_text=True)
    example = row_of(page, "example")
    assert re.search(r'<th scope="row">Notes\s*<br><span class="hint">Customers keep notes', example)
    assert "<small><code>example</code> · portal-example-plugin</small>" in example, "the raw name, small"
    for name, display_name in [
        ("tickets", "Support tickets"),
        ("loyalty", "Loyalty points"),
        ("documents", "Documents"),
        ("surveys", "Surveys"),
    ]:
        row = row_of(page, name)
        assert f'<th scope="row">{display_name}' in row, "switched-off plugins are named too"
        assert f"<code>{name}</code>" in row


@pytest.mark.plugins("example")
def test_portal_plugin_info_is_in_the_administrators_language(app, client, login_as):
    login_as("admin", language="fa")
    example = row_of(client.get("/staff/plugins").get_data(as_text=True), "example")
    assert "یادداشت‌ها" in example and "مشتریان برای خودشان یادداشت می‌نویسند" in example


@pytest.mark.plugins("example")
def test_portal_plugin_info_names_the_plugin_in_the_switch_off_question_and_the_message(
    app, client, login_as
):
    login_as("admin")
    question = client.get("/staff/plugins/example/switch-off").get_data(as_text=True)
    assert "<h1>Switch off the Notes plugin?</h1>" in question
    assert "Switch Notes off</button>" in question and "<code>example</code>" in question
    done = post_form(client, "/staff/plugins/example", {"enabled": "0"}, follow_redirects=True)
    assert "The Notes plugin is now off. Its data is kept." in done.get_data(as_text=True)


def test_portal_plugin_info_is_filed_under_the_plugin_that_gave_it(app_config, monkeypatch):
    app = with_stand_ins(monkeypatch, app_config, weather="WeatherPlugin", legacy="NamelessPlugin")
    page = admin_on(app).get("/staff/plugins").get_data(as_text=True)
    assert "Weather" in row_of(page, "weather") and "Rain or shine" in row_of(page, "weather")
    assert "Weather" not in row_of(page, "legacy") and "Notes" in row_of(page, "example")
    assert '<th scope="row">legacy' in row_of(page, "legacy"), "no hook: the entry-point name"


def test_portal_plugin_info_must_be_a_plugin_info(app_config, monkeypatch):
    app = with_stand_ins(monkeypatch, app_config, wrong="WrongAnswerPlugin")
    with pytest.raises(
        PluginError, match=re.escape("Plugin 'wrong' returned 'Weather' from portal_plugin_info")
    ):
        admin_on(app).get("/staff/plugins")
