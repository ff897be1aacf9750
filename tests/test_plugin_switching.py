"""Switching a plugin at run time: on the staff page or with the CLI, seen by every worker, no restart."""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint

import pytest
from flask import Flask
from flask.testing import FlaskClient
from portal_example_plugin.models import Note
from sqlalchemy import func, select

from portal import create_app, hookspecs, plugin_manager
from portal.audit import AuditEvent
from portal.database import db
from portal.plugin_manager import ENTRY_POINT_GROUP, PluginError
from portal.plugin_state import PluginState
from portal.testing import TEST_PASSWORD, log_in, post_form

pytestmark = pytest.mark.plugins("example")

HOOK_NAMES = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, "portal_spec"))


@pytest.fixture
def worker_customer(second_worker: Flask, make_user) -> FlaskClient:
    """A customer signed in on the second worker, where the plugin's pages are checked."""
    customer = make_user("customer")
    worker_client = second_worker.test_client()
    log_in(worker_client, customer.email, TEST_PASSWORD)
    return worker_client


def count_rows(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def plugin_row(page: str, name: str = "example") -> str:
    """The plugins page's table row for one plugin, as the administrator reads it."""
    match = re.search(rf'<tr id="plugin-{name}">(.*?)</tr>', page, re.S)
    assert match, f"the plugins page has no row for {name}"
    return match.group(1)


def install_stand_in(monkeypatch: pytest.MonkeyPatch, name: str, module: str) -> None:
    """Make ``module`` (a real module in tests/) look installed as the plugin ``name``.

    This stands in for a second installed distribution declaring a ``portal.plugins`` entry point:
    building and installing a real package for each broken case would be slow and would leave a broken
    plugin installed for the rest of the run. The installed plugins are still discovered as usual.
    """
    installed = plugin_manager.entry_points
    stand_in = EntryPoint(name=name, value=module, group=ENTRY_POINT_GROUP)

    def entry_points(**selection: str) -> list[EntryPoint]:
        return [*installed(**selection), stand_in]

    monkeypatch.setattr(plugin_manager, "entry_points", entry_points)


def test_admin_switch_reaches_another_worker_at_its_next_request(client, login_as, worker_customer):
    assert worker_customer.get("/example/").status_code == 200
    login_as("admin")
    off = post_form(client, "/staff/plugins/example", {"enabled": "0"})
    assert off.status_code == 302 and off.headers["Location"].endswith("/staff/plugins")
    assert worker_customer.get("/example/").status_code == 404
    on = post_form(client, "/staff/plugins/example", {"enabled": "1"})
    assert on.status_code == 302
    assert worker_customer.get("/example/").status_code == 200


def test_cli_switch_reaches_another_worker_and_list_shows_it(app, worker_customer):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["plugins", "list"])
    assert re.search(r"^example\s+0\.1\.0\s+enabled\s+portal-example-plugin$", listed.output, re.M)

    off = runner.invoke(args=["plugins", "disable", "example"])
    assert off.exit_code == 0, off.output
    assert "example disabled" in off.output
    assert worker_customer.get("/example/").status_code == 404
    listed = runner.invoke(args=["plugins", "list"])
    assert re.search(r"^example\s+0\.1\.0\s+disabled\s+portal-example-plugin$", listed.output, re.M)

    on = runner.invoke(args=["plugins", "enable", "example"])
    assert on.exit_code == 0, on.output
    assert worker_customer.get("/example/").status_code == 200


def test_cli_refuses_to_switch_a_plugin_that_is_not_installed(app):
    result = app.test_cli_runner().invoke(args=["plugins", "disable", "nosuch"])
    assert result.exit_code != 0
    assert "No plugin named 'nosuch' is installed" in result.output
    assert count_rows(app, PluginState) == 0


def test_disabling_keeps_the_plugin_data(app, client, login_as):
    customer = login_as("customer")
    with app.app_context():
        db.session.add(Note(user_id=customer.id, body="Renew the warranty in March"))
        db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["plugins", "disable", "example"]).exit_code == 0
    assert client.get("/example/").status_code == 404
    assert count_rows(app, Note) == 1
    assert runner.invoke(args=["plugins", "enable", "example"]).exit_code == 0
    assert "Renew the warranty in March" in client.get("/example/").get_data(as_text=True)


def test_plugins_page_lists_version_state_and_hooks(client, login_as):
    login_as("admin")
    row = plugin_row(client.get("/staff/plugins").get_data(as_text=True))
    assert "portal-example-plugin" in row
    assert "<td>0.1.0</td>" in row
    assert ">On<" in row and "on in the configuration" in row
    hooks = re.search(
        r"<details>\s*<summary>Technical details</summary>\s*<small>(.*?)</small>\s*</details>", row, re.S
    )
    assert hooks and hooks.group(1).split(", ") == HOOK_NAMES, "hook names, folded away under <details>"

    post_form(client, "/staff/plugins/example", {"enabled": "0"})
    row = plugin_row(client.get("/staff/plugins").get_data(as_text=True))
    assert ">Off<" in row and "switched by an administrator" in row
    assert 'name="enabled" value="1"' in row, "the button now switches it back on"


@pytest.mark.parametrize("role", ["customer", "agent"])
def test_only_administrators_see_and_switch_plugins(app, client, login_as, role):
    login_as(role)
    assert client.get("/staff/plugins").status_code == 403
    assert post_form(client, "/staff/plugins/example", {"enabled": "0"}).status_code == 403
    assert count_rows(app, PluginState) == 0
    assert client.get("/example/").status_code == 200


def test_switch_without_csrf_token_is_refused_and_changes_nothing(app, client, login_as):
    login_as("admin")
    response = client.post("/staff/plugins/example", data={"enabled": "0"})
    assert response.status_code == 400
    assert count_rows(app, PluginState) == 0
    with app.app_context():
        switches = select(func.count()).where(AuditEvent.kind.in_(["plugin_enabled", "plugin_disabled"]))
        assert db.session.scalar(switches) == 0
    assert client.get("/example/").status_code == 200


def test_each_switch_writes_an_audit_event(app, client, login_as):
    admin = login_as("admin")
    post_form(client, "/staff/plugins/example", {"enabled": "0"})
    post_form(client, "/staff/plugins/example", {"enabled": "1"})
    app.test_cli_runner().invoke(args=["plugins", "disable", "example"])
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.kind.in_(["plugin_enabled", "plugin_disabled"]))
        events = [
            (event.kind, event.actor_id, event.detail)
            for event in db.session.scalars(query.order_by(AuditEvent.id))
        ]
    assert events == [
        ("plugin_disabled", admin.id, {"plugin": "example"}),
        ("plugin_enabled", admin.id, {"plugin": "example"}),
        ("plugin_disabled", None, {"plugin": "example"}),
    ]


def test_configured_plugin_that_is_not_installed_stops_the_start(app_config):
    app_config["PORTAL_PLUGINS"] = ["example", "nosuch"]
    with pytest.raises(PluginError, match="nosuch"):
        create_app(dict(app_config))


def test_nested_blueprint_of_a_disabled_plugin_answers_404(app_config, monkeypatch):
    install_stand_in(monkeypatch, "nested", "nested_blueprint_plugin")
    app_config["PORTAL_PLUGINS"] = ["nested"]
    enabled = create_app(dict(app_config))
    assert enabled.test_client().get("/nested/inner/").status_code == 200
    app_config["PORTAL_PLUGINS"] = []
    disabled = create_app(dict(app_config))
    assert disabled.test_client().get("/nested/inner/").status_code == 404
    for each in (enabled, disabled):
        with each.app_context():
            db.engine.dispose()


def test_misspelt_hookimpl_fails_at_start(app_config, monkeypatch):
    install_stand_in(monkeypatch, "misspelt", "misspelt_hook_plugin")
    with pytest.raises(PluginError, match=r"Plugin 'misspelt' implements a hook .*portal_misspelt_hook"):
        create_app(dict(app_config))


def test_blueprint_without_the_plugin_name_is_refused(app_config, monkeypatch):
    install_stand_in(monkeypatch, "misnamed", "misnamed_blueprint_plugin")
    with pytest.raises(PluginError, match="'misnamed' registers a blueprint named 'notes'"):
        create_app(dict(app_config))


@pytest.mark.parametrize(
    ("case", "endpoint"),
    [
        ("Routed", "routed.forgotten_page"),
        ("Nested", "nested.inner.inner_forgotten"),
        ("Ruled", "ruled.ruled_forgotten"),
        ("Classy", "classy.forgotten"),
    ],
)
def test_a_view_without_an_access_declaration_stops_the_start(app_config, monkeypatch, case, endpoint):
    """Installed is enough, enabled or not: a disabled plugin can be switched on later without a restart."""
    plugin = case.lower()
    install_stand_in(monkeypatch, plugin, f"undeclared_view_plugin:{case}")
    for enabled in ([], [plugin]):
        app_config["PORTAL_PLUGINS"] = enabled
        with pytest.raises(PluginError) as refusal:
            create_app(dict(app_config))
        message = str(refusal.value)
        assert f"{endpoint!r}" in message and f"plugin {plugin!r}" in message
        assert "portal.plugin.public, customer, agent or admin" in message


def test_switching_off_asks_first_and_says_what_customers_lose(client, login_as, worker_customer):
    login_as("admin")
    row = plugin_row(client.get("/staff/plugins").get_data(as_text=True))
    assert 'name="enabled" value="0"' not in row, "no one-click switch-off on the list"
    link = re.search(r'<a [^>]*href="(/staff/plugins/example/switch-off)"[^>]*>Switch off…</a>', row)
    assert link, row
    page = client.get(link.group(1)).get_data(as_text=True)
    assert "Switch off the Notes plugin?" in page, "the plugin's display name, not its entry point"
    assert "Customers will no longer see its pages" in page and "Nothing is deleted" in page
    assert 'href="/staff/plugins"' in page, "a way back that changes nothing"
    assert worker_customer.get("/example/").status_code == 200, "opening the question switched nothing"
    confirm = re.search(r'<form method="post" action="(/staff/plugins/example)">(.*?)</form>', page, re.S)
    assert confirm and 'name="enabled" value="0"' in confirm.group(2)
    assert post_form(client, confirm.group(1), {"enabled": "0"}).status_code == 302
    assert worker_customer.get("/example/").status_code == 404
    assert client.get(link.group(1)).headers.get("Location", "").endswith("/staff/plugins"), "already off"
    assert client.get("/staff/plugins/nosuch/switch-off").status_code == 404
