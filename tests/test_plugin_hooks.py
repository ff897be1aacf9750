"""One test per hook: what a person notices while the example plugin is on, and that it is gone when off.

Every test runs twice (and on each database backend): once with ``example`` in ``PORTAL_PLUGINS`` and
once without it. The plugin is installed both times, so the hooks the contract calls for every installed
plugin (blueprints, migrations, erasure) show up in both runs, and the others only in the first.
"""

from __future__ import annotations

import html
import json

import flask_migrate
import pytest
from flask import Flask
from portal_example_plugin.customer_data import DEMO_NOTE
from portal_example_plugin.models import Note
from sqlalchemy import func, inspect, select

from portal.accounts.models import User
from portal.database import db
from portal.demo import DEMO_PEOPLE
from portal.testing import TEST_PASSWORD, log_in, post_form, staff_figure, statements_run

NOTES_LINK = '<a href="/example/">Notes</a>'
STAFF_LINK = '<a href="/example/staff">Notes overview</a>'


@pytest.fixture(params=[True, False], ids=["plugin-on", "plugin-off"])
def plugin_on(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def app_config(app_config: dict[str, object], plugin_on: bool) -> dict[str, object]:
    """Switch the example plugin on or off the way an operator does: in ``PORTAL_PLUGINS``."""
    app_config["PORTAL_PLUGINS"] = ["example"] if plugin_on else []
    return app_config


def add_note(app: Flask, user_id: int, body: str = "Ask about the late invoice") -> None:
    with app.app_context():
        db.session.add(Note(user_id=user_id, body=body))
        db.session.commit()


def count_notes(app: Flask, body: str | None = None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Note)
        if body is not None:
            query = query.where(Note.body == body)
        return db.session.scalar(query)


def test_portal_blueprints_pages_answer_only_while_enabled(app, client, login_as, plugin_on):
    assert "example" in app.blueprints, "every installed plugin's blueprint is registered at start"
    login_as("customer")
    expected = 200 if plugin_on else 404
    assert client.get("/example/").status_code == expected
    assert client.get("/example/widget").status_code == expected


def test_portal_translations_folder_translates_the_plugins_words_and_never_the_cores(
    app, client, login_as, plugin_on
):
    login_as("customer", language="fa")
    page = client.get("/example/" if plugin_on else "/dashboard").get_data(as_text=True)
    if plugin_on:
        assert "<h1>یادداشت‌های شما</h1>" in page, "the plugin's own catalogue translates its heading"
    assert "خروج" in page and "ترجمهٔ نادرست افزونه" not in page, "the core's words stay the core's"


def test_portal_migrations_folder_branch_runs_for_every_installed_plugin(app, plugin_on):
    # The test databases were migrated with no plugin enabled, so the table is there only because the
    # core asked every installed plugin, enabled or not, for its migrations folder.
    with app.app_context():
        assert "example_notes" in inspect(db.engine).get_table_names()
        flask_migrate.downgrade(revision="example@base")
        db.session.remove()
        assert "example_notes" not in inspect(db.engine).get_table_names()
        assert "portal_users" in inspect(db.engine).get_table_names(), "only the plugin's branch went"
        flask_migrate.upgrade(revision="heads")
        assert "example_notes" in inspect(db.engine).get_table_names()


def test_portal_cli_commands_example_group_only_while_enabled(app, make_user, plugin_on):
    add_note(app, make_user().id)
    result = app.test_cli_runner().invoke(args=["example", "count-notes"])
    if plugin_on:
        assert result.exit_code == 0, result.output
        assert "Notes kept by all customers: 1." in result.output
    else:
        assert result.exit_code != 0
        assert "No such command 'example'" in result.output


def test_portal_nav_items_notes_link_for_signed_in_people(client, login_as, plugin_on):
    assert NOTES_LINK not in client.get("/login").get_data(as_text=True), "a visitor has no notes"
    login_as("customer")
    page = client.get("/account/").get_data(as_text=True)
    assert (NOTES_LINK in page) is plugin_on


def test_portal_staff_nav_items_link_in_the_staff_console(client, login_as, plugin_on):
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    assert (STAFF_LINK in page) is plugin_on
    assert client.get("/example/staff").status_code == (200 if plugin_on else 404)


def test_portal_staff_figures_cards_on_the_staff_dashboard_by_role(
    app, client, make_user, login_as, plugin_on
):
    customer = make_user()
    add_note(app, customer.id)
    add_note(app, customer.id, "Call back on Monday")
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    if not plugin_on:
        assert "figure-example" not in page
        return
    assert staff_figure(page, "example.notes").startswith("Notes written, last 14 days 2 ")
    assert 'href="/example/staff"' in page
    assert "figure-example.keepers" not in page, "the administrators' figure is not shown to an agent"
    admin, admin_client = make_user("admin"), app.test_client()
    log_in(admin_client, admin.email, TEST_PASSWORD)
    page = admin_client.get("/staff/").get_data(as_text=True)
    assert staff_figure(page, "example.keepers") == "Customers keeping notes 1"


def test_portal_dashboard_widgets_tile_loads_on_its_own(app, client, login_as, plugin_on):
    customer = login_as("customer")
    add_note(app, customer.id)
    page = client.get("/dashboard").get_data(as_text=True)
    assert ('id="widget-example-notes"' in page) is plugin_on
    assert ('hx-get="/example/widget"' in page) is plugin_on
    if plugin_on:
        fragment = client.get("/example/widget", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "Notes you keep: 1." in fragment
        assert "<html" not in fragment
        whole_page = client.get("/example/widget").get_data(as_text=True)
        assert "<html" in whole_page and "Notes you keep: 1." in whole_page


def test_portal_template_slot_line_above_the_dashboard(app, client, login_as, plugin_on):
    customer = login_as("customer")
    add_note(app, customer.id)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert ("Notes from the example plugin: 1." in dashboard) is plugin_on
    profile = client.get("/account/").get_data(as_text=True)
    assert "Notes from the example plugin" not in profile, "only the dashboard_top slot gets the line"


def test_portal_export_customer_data_notes_in_the_download_even_while_disabled(
    app, client, login_as, make_user, plugin_on
):
    # Like erasure, export asks every installed plugin: switched off, the notes are still held.
    customer = login_as("customer")
    add_note(app, customer.id, "My own note")
    add_note(app, make_user().id, "Someone else's note")
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    notes = data["plugins"]["example"]["notes"]
    assert [note["body"] for note in notes] == ["My own note"]


def test_portal_erase_customer_data_deletes_notes_even_while_disabled(app, client, login_as, make_user):
    # The contract calls erasure for every installed plugin, so a switched-off plugin cannot keep the
    # data of a person who left. The cascade on the foreign key would remove the rows as well, so the
    # test also looks for the plugin's own DELETE.
    customer = login_as("customer")
    add_note(app, customer.id)
    add_note(app, make_user().id, "Kept: another customer's note")
    with statements_run(app) as statements:
        response = post_form(client, "/account/delete", {"current_password": TEST_PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert any(sql.startswith("DELETE FROM example_notes") for sql in statements)
    assert count_notes(app) == 1
    assert count_notes(app, "Kept: another customer's note") == 1


def test_portal_load_demo_data_adds_notes_once(app, plugin_on):
    runner = app.test_cli_runner()
    for _run in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    demo_customers = sum(1 for person in DEMO_PEOPLE if person.role == "customer")
    assert count_notes(app, DEMO_NOTE) == (demo_customers if plugin_on else 0)


def test_portal_customer_fields_offer_plugin_facts_beside_the_core_ones(app, make_user, plugin_on):
    from portal.customer_fields import customer_fields

    customer = make_user(name="Sara Ahmadi")
    add_note(app, customer.id)
    with app.test_request_context():
        fields = customer_fields(db.session.get(User, customer.id))
    assert fields["customer"]["name"] == "Sara Ahmadi"
    assert fields["customer"]["organization"] == ""
    assert (fields.get("example") == {"notes": "1"}) is plugin_on
    assert ("example" in fields) is plugin_on


def test_portal_approval_kinds_removing_a_note_waits_for_an_administrators_yes(app, make_user, plugin_on):
    from portal.approvals.models import Approval

    customer, agent, admin = make_user(), make_user("agent"), make_user("admin")
    add_note(app, customer.id, "Remove me please")
    with app.app_context():
        note_id = db.session.scalar(select(Note.id))
        # Asked while the plugin was on: a switched-off plugin's request is one it made before.
        db.session.add(
            Approval(
                kind="example.remove_note",
                payload={"note_id": note_id},
                customer_id=customer.id,
                requested_by_id=agent.id,
                reason="The customer asked us on the phone",
            )
        )
        db.session.commit()
        approval_id = db.session.scalar(select(Approval.id))
    client = app.test_client()
    log_in(client, admin.email, TEST_PASSWORD)
    page = html.unescape(client.get("/staff/approvals/").get_data(as_text=True))
    decided = post_form(
        client, f"/staff/approvals/{approval_id}/decide", {"decision": "approve"}, follow_redirects=True
    ).get_data(as_text=True)
    switched_off = "The plugin Notes is switched off, so this request cannot be decided"
    if plugin_on:
        assert "Remove a customer's note" in page and "Remove me please" in page
        assert "Approved." in decided
        assert count_notes(app) == 0
    else:
        assert switched_off in page and "Remove me please" not in page
        assert switched_off in decided
        assert count_notes(app) == 1
