"""Plugin settings: declared with defaults, edited by administrators, read by every worker, audited."""

from __future__ import annotations

import re
from decimal import Decimal
from importlib.metadata import EntryPoint

import pytest
from flask import Flask
from portal_example_plugin.models import Note
from sqlalchemy import event, func, select

from portal import create_app, plugin_manager
from portal.audit import AuditEvent
from portal.database import db
from portal.plugin import Setting, SettingValueError, get_setting, hookimpl, set_setting
from portal.plugin_manager import ENTRY_POINT_GROUP, PluginError
from portal.settings import StoredSetting, UnknownSettingError, declaration_problems
from portal.testing import TEST_PASSWORD, log_in, post_form

EXAMPLE_DEFAULTS = {"panel_notes": 3, "panel_order": "newest", "show_dates": True}
VALID_FORM = {"setting_panel_notes": "5", "setting_panel_order": "oldest"}  # show_dates unticked


class PricingPlugin:
    """Stands in for a second installed plugin declaring the types the example plugin does not."""

    @staticmethod
    @hookimpl
    def portal_plugin_settings() -> list[Setting]:
        return [
            Setting(key="greeting", label="Greeting", type="text", default="Hello", max_length=10),
            Setting(
                key="rate",
                label="Rate",
                type="decimal",
                default=Decimal("0.1"),
                min=Decimal("0"),
                max=Decimal("1"),
            ),
        ]


class TwiceDeclaredPlugin:
    """A plugin that declares one key twice; the portal must refuse to start with it."""

    @staticmethod
    @hookimpl
    def portal_plugin_settings() -> list[Setting]:
        return [
            Setting(key="limit", label="Limit", type="integer", default=1),
            Setting(key="limit", label="Limit again", type="integer", default=2),
        ]


def install_stand_in(monkeypatch: pytest.MonkeyPatch, name: str, attribute: str) -> None:
    """Make a class of this module look like one more installed distribution's plugin.

    Building and installing a real package per case would be slow and leave it installed for the
    rest of the run; the installed plugins are still discovered as usual.
    """
    installed = plugin_manager.entry_points
    stand_in = EntryPoint(name=name, value=f"{__name__}:{attribute}", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(plugin_manager, "entry_points", lambda **kw: [*installed(**kw), stand_in])


def read_setting(app: Flask, plugin: str, key: str) -> object:
    """A setting as plugin code reads it during a request of ``app``."""
    with app.test_request_context():
        return get_setting(plugin, key)


def stored_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StoredSetting))


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page)
    return match.group(1) if match else ""


@pytest.fixture(params=[True, False], ids=["plugin-on", "plugin-off"])
def plugin_on(request: pytest.FixtureRequest, app_config: dict[str, object]) -> bool:
    """The example plugin on or off in ``PORTAL_PLUGINS``; list it before ``app`` in a test's arguments."""
    app_config["PORTAL_PLUGINS"] = ["example"] if request.param else []
    return request.param


def test_portal_plugin_settings_offered_for_every_installed_plugin(plugin_on, app, client, login_as):
    # Asked of every installed plugin: an administrator can set a plugin up before switching it on.
    login_as("admin")
    index = client.get("/staff/settings/").get_data(as_text=True)
    row = re.search(r'<tr id="settings-example">(.*?)</tr>', index, re.S).group(1)
    assert ("On" if plugin_on else "Off") in row and "3 settings" in row
    page = client.get("/staff/settings/example").get_data(as_text=True)
    assert ("This plugin is off" in page) is not plugin_on
    for key, default in EXAMPLE_DEFAULTS.items():
        assert read_setting(app, "example", key) == default


@pytest.mark.parametrize(("role", "status"), [(None, 302), ("customer", 403), ("agent", 403), ("admin", 200)])
def test_only_administrators_reach_settings(client, login_as, role, status):
    if role:
        login_as(role)
    assert client.get("/staff/settings/").status_code == status
    assert client.get("/staff/settings/example").status_code == status


def test_administrators_find_settings_in_the_staff_navigation(client, login_as):
    login_as("admin")
    assert '<a href="/staff/settings/">Settings</a>' in client.get("/staff/").get_data(as_text=True)


def test_unknown_plugin_or_key_is_not_found(client, login_as):
    login_as("admin")
    assert client.get("/staff/settings/nosuch").status_code == 404
    assert post_form(client, "/staff/settings/example/reset/nosuch", {}).status_code == 404


@pytest.mark.plugins("example")
def test_form_has_the_right_field_for_each_type_with_limits_help_and_default(client, login_as):
    login_as("admin")
    page = client.get("/staff/settings/example").get_data(as_text=True)
    number = re.search(r'<input[^>]*name="setting_panel_notes"[^>]*>', page).group(0)
    assert (
        'type="number"' in number and 'min="1"' in number and 'max="20"' in number and 'value="3"' in number
    )
    assert "How many of a customer&#39;s notes agents see on the customer&#39;s page. Default: 3." in page
    assert re.search(r'<select[^>]*name="setting_panel_order"', page)
    assert '<option selected value="newest">Newest first</option>' in page
    assert "Default: Newest first." in page
    checkbox = re.search(r'<input[^>]*name="setting_show_dates"[^>]*>', page).group(0)
    assert 'type="checkbox"' in checkbox and "checked" in checkbox
    assert 'id="setting_show_dates-hint">Default: On.' in page
    assert "Reset to default" not in page, "nothing to reset while every setting has its default"


@pytest.mark.plugins("example")
def test_saved_values_reach_another_worker_at_its_next_request(app, client, login_as, second_worker):
    admin = login_as("admin")
    assert read_setting(second_worker, "example", "panel_notes") == 3
    response = post_form(client, "/staff/settings/example", VALID_FORM)
    assert response.status_code == 302
    assert "3 settings saved." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert read_setting(second_worker, "example", "panel_notes") == 5
    assert read_setting(second_worker, "example", "panel_order") == "oldest"
    assert read_setting(second_worker, "example", "show_dates") is False
    with app.app_context():
        changes = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "setting_changed")).all()
        notes = next(change for change in changes if change.detail["key"] == "panel_notes")
        assert notes.actor_id == admin.id
        assert notes.detail == {"plugin": "example", "key": "panel_notes", "value": 5, "previous": 3}
        assert len(changes) == 3


@pytest.mark.plugins("example")
def test_saving_untouched_values_stores_nothing(app, client, login_as):
    login_as("admin")
    response = post_form(
        client,
        "/staff/settings/example",
        {"setting_panel_notes": "3", "setting_panel_order": "newest", "setting_show_dates": "y"},
        follow_redirects=True,
    )
    assert "Nothing changed." in response.get_data(as_text=True)
    assert stored_rows(app) == 0, "untouched settings keep following the plugin's default"


@pytest.mark.plugins("example")
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"setting_panel_notes": "many"}, "Enter a whole number, like 10."),
        ({"setting_panel_notes": "2.5"}, "Enter a whole number, like 10."),
        ({"setting_panel_notes": "21"}, "Enter a number from 1 to 20."),
        ({"setting_panel_notes": "9" * 500}, "Enter a whole number, like 10."),
        ({"setting_panel_order": "sideways"}, "Choose one of the options in the list."),
    ],
)
def test_invalid_input_is_marked_per_field_kept_and_nothing_is_saved(app, client, login_as, typed, message):
    login_as("admin")
    response = post_form(client, "/staff/settings/example", {**VALID_FORM, **typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    field = next(iter(typed))
    assert field_error(page, field) == message
    if field == "setting_panel_notes":
        assert f'value="{typed[field]}"' in page, "what was typed is kept"
    assert stored_rows(app) == 0, "not even the valid fields were saved"


@pytest.mark.plugins("example")
def test_post_without_csrf_token_is_refused(app, client, login_as):
    login_as("admin")
    response = client.post("/staff/settings/example", data=VALID_FORM)
    assert response.status_code == 400
    assert stored_rows(app) == 0


@pytest.mark.plugins("example")
def test_reset_one_setting_then_all(app, client, login_as):
    login_as("admin")
    post_form(client, "/staff/settings/example", VALID_FORM)
    page = client.get("/staff/settings/example").get_data(as_text=True)
    assert 'form="reset-panel_notes"' in page and 'action="/staff/settings/example/reset/panel_notes"' in page

    response = post_form(client, "/staff/settings/example/reset/panel_notes", {}, follow_redirects=True)
    assert "Notes on a customer&#39;s page is back to its default." in response.get_data(as_text=True)
    assert read_setting(app, "example", "panel_notes") == 3
    assert read_setting(app, "example", "panel_order") == "oldest", "the other settings keep their values"

    response = post_form(client, "/staff/settings/example/reset", {}, follow_redirects=True)
    assert "Every setting is back to its default." in response.get_data(as_text=True)
    assert {key: read_setting(app, "example", key) for key in EXAMPLE_DEFAULTS} == EXAMPLE_DEFAULTS
    assert stored_rows(app) == 0
    with app.app_context():
        resets = db.session.scalars(select(AuditEvent).where(AuditEvent.detail["reset"].as_boolean())).all()
    assert sorted(event.detail["key"] for event in resets) == ["panel_notes", "panel_order", "show_dates"]


@pytest.mark.plugins("example")
def test_settings_change_what_agents_see_on_a_customer_page(app, client, login_as, make_user):
    login_as("admin")
    person = make_user("customer")
    with app.app_context():
        db.session.add_all(Note(user_id=person.id, body=f"Note number {index}") for index in range(5))
        db.session.commit()
    page = client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    assert re.findall(r"Note number (\d)", page) == ["4", "3", "2"]
    post_form(
        client, "/staff/settings/example", {"setting_panel_notes": "2", "setting_panel_order": "oldest"}
    )
    page = client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    assert re.findall(r"Note number (\d)", page) == ["0", "1"]


@pytest.mark.plugins("example")
def test_values_are_read_once_per_request_per_plugin(app):
    with app.test_request_context():
        reads: list[str] = []

        def record(_conn, _cursor, statement, *_rest) -> None:
            if "portal_settings" in statement:
                reads.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            for key in EXAMPLE_DEFAULTS:
                get_setting("example", key)
            get_setting("example", "panel_notes")
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert len(reads) == 1


@pytest.mark.plugins("example")
def test_set_setting_from_code_checks_and_audits(app, make_user):
    admin = make_user("admin")
    with app.test_request_context():
        with pytest.raises(SettingValueError, match="from 1 to 20"):
            set_setting("example", "panel_notes", 0, actor_id=admin.id)
        with pytest.raises(SettingValueError):
            set_setting("example", "panel_notes", True, actor_id=admin.id)
        assert set_setting("example", "panel_notes", 7, actor_id=admin.id) is True
        assert get_setting("example", "panel_notes") == 7, "seen at once in the same request"
        assert set_setting("example", "panel_notes", "7", actor_id=admin.id) is False
        db.session.commit()
    assert read_setting(app, "example", "panel_notes") == 7


@pytest.mark.plugins("example")
def test_unknown_key_raises(app):
    with app.test_request_context(), pytest.raises(UnknownSettingError, match="declares no setting 'colour'"):
        get_setting("example", "colour")


@pytest.mark.plugins("example")
def test_stored_value_that_no_longer_fits_reads_as_the_default(app):
    # A new version of the plugin narrowed the range below a value an administrator chose earlier.
    with app.app_context():
        db.session.add(StoredSetting(plugin="example", key="panel_notes", value=50))
        db.session.commit()
    assert read_setting(app, "example", "panel_notes") == 3


@pytest.fixture
def login_as_on(make_user):
    """Sign in on an app a test built itself (one with a stand-in plugin installed)."""

    def sign_in(app: Flask, role: str) -> tuple[Flask, object]:
        client = app.test_client()
        log_in(client, make_user(role).email, TEST_PASSWORD)
        return app, client

    return sign_in


def test_text_and_decimal_settings_through_the_form(app_config, monkeypatch, login_as_on):
    install_stand_in(monkeypatch, "pricing", "PricingPlugin")
    app, client = login_as_on(create_app(dict(app_config)), "admin")
    page = client.get("/staff/settings/pricing").get_data(as_text=True)
    assert re.search(r'<input[^>]*maxlength="10"[^>]*name="setting_greeting"', page)
    assert re.search(r'<input[^>]*name="setting_rate"[^>]*step="any"[^>]*type="number"', page)

    bad = post_form(
        client, "/staff/settings/pricing", {"setting_greeting": "Hello there!", "setting_rate": "1.5"}
    )
    page = bad.get_data(as_text=True)
    assert field_error(page, "setting_greeting") == "Use at most 10 characters."
    assert field_error(page, "setting_rate") == "Enter a number from 0 to 1."
    nan = post_form(client, "/staff/settings/pricing", {"setting_greeting": "Hi", "setting_rate": "NaN"})
    assert field_error(nan.get_data(as_text=True), "setting_rate") == "Enter a number, like 2.5."

    good = post_form(
        client, "/staff/settings/pricing", {"setting_greeting": "  Salaam ", "setting_rate": "0.30"}
    )
    assert good.status_code == 302
    assert read_setting(app, "pricing", "greeting") == "Salaam"
    assert read_setting(app, "pricing", "rate") == Decimal("0.30")
    with app.app_context():
        stored = db.session.get(StoredSetting, ("pricing", "rate"))
        assert stored.value == "0.30", "a decimal is stored as its exact string, never a float"
        db.engine.dispose()


def test_declaring_a_key_twice_stops_the_start(app_config, monkeypatch):
    install_stand_in(monkeypatch, "twice", "TwiceDeclaredPlugin")
    with pytest.raises(
        PluginError, match="Plugin 'twice' declares settings wrongly: key 'limit' is declared twice"
    ):
        create_app(dict(app_config))


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        (Setting(key="Limit", label="", type="integer", default=1), "must be lowercase letters"),
        (Setting(key="x" * 65, label="", type="integer", default=1), "must be lowercase letters"),
        (Setting(key="limit", label="", type="float", default=1), "use one of text, integer"),  # type: ignore[arg-type]
        (
            Setting(key="mode", label="", type="choice", default="a", choices=("a", "b")),
            "(value, label) pairs",
        ),
        (Setting(key="limit", label="", type="integer", default=0, min=1), "default of 'limit' does not fit"),
        (Setting(key="limit", label="", type="integer", default=1, max=1.5), "whole numbers or Decimals"),
        (Setting(key="name", label="", type="text", default="", max_length=0), "positive whole number"),
    ],
)
def test_bad_declarations_are_explained(setting, problem):
    problems = declaration_problems([setting])
    assert len(problems) == 1 and problem in problems[0], problems


@pytest.mark.parametrize(
    ("setting", "value", "cleaned"),
    [
        (Setting(key="n", label="", type="integer", default=0), " -12 ", -12),
        (Setting(key="d", label="", type="decimal", default=0), 0.1, Decimal("0.1")),
        (Setting(key="d", label="", type="decimal", default=0), "1e3", Decimal("1e3")),
        (Setting(key="b", label="", type="boolean", default=False), True, True),
        (Setting(key="t", label="", type="text", default=""), "", ""),
    ],
)
def test_values_are_cleaned_to_their_type(app, setting, value, cleaned):
    with app.test_request_context():
        assert setting.clean(value) == cleaned
        assert type(setting.clean(value)) is type(cleaned)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        (Setting(key="n", label="", type="integer", default=0), 1.0),
        (Setting(key="d", label="", type="decimal", default=0), "Infinity"),
        (Setting(key="d", label="", type="decimal", default=0), True),
        (Setting(key="b", label="", type="boolean", default=False), "yes"),
        (Setting(key="t", label="", type="text", default=""), 5),
    ],
)
def test_values_of_the_wrong_type_are_refused(app, setting, value):
    with app.test_request_context(), pytest.raises(SettingValueError):
        setting.clean(value)
