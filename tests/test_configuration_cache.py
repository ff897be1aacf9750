"""A worker keeps plugin switches and settings between requests, and still sees every committed change
at its next request, however it was made (portal/configuration_cache.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from test_unit_of_work_cache import reads_of

from portal.database import db
from portal.plugin import get_setting, set_setting
from portal.plugin_manager import plugin_host
from portal.staff.plugin_switch import switch_plugin
from portal.testing import statements_run

pytestmark = pytest.mark.plugins("example", "loyalty")

GENERATION = "portal_configuration_generation"


def page_statements(app: Flask, client, path: str) -> list[str]:
    with statements_run(app) as statements:
        assert client.get(path).status_code == 200
    return statements


def panel_notes_seen(app: Flask) -> int:
    """The example plugin's setting as a new unit of work on ``app`` (a worker's next request) reads it."""
    with app.app_context():
        return get_setting("example", "panel_notes")


def test_a_warm_worker_reads_one_number_instead_of_the_switches_and_the_settings(
    app, client, login_as, second_worker
):
    login_as("customer")
    client.get("/loyalty/")
    warm = page_statements(app, client, "/loyalty/")
    assert reads_of("portal_plugin_states", warm) == 0
    assert reads_of("FROM portal_settings", warm) == 0
    assert reads_of(GENERATION, warm) == 1
    with second_worker.app_context():
        set_setting("loyalty", "expiry_months", 18, actor_id=None)
        db.session.commit()
    changed = page_statements(app, client, "/loyalty/")
    assert reads_of("portal_plugin_states", changed) == 1, "read again after any change"
    assert reads_of("FROM portal_settings", changed) == 1
    assert len(changed) == len(warm) + 2


def test_a_setting_another_worker_commits_is_seen_at_the_next_request(app, second_worker):
    assert panel_notes_seen(app) == 3
    with second_worker.app_context():
        set_setting("example", "panel_notes", 7, actor_id=None)
        db.session.commit()
    assert panel_notes_seen(app) == 7


def test_a_change_typed_into_the_database_by_hand_is_seen_at_the_next_request(app, client):
    assert panel_notes_seen(app) == 3
    assert client.get("/loyalty/rewards").status_code in (200, 302)
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO portal_settings (plugin, key, value, updated_at)"
                " VALUES ('example', 'panel_notes', '8', :now)"
            ),
            {"now": "2026-12-07 12:00:00"},
        )
        db.session.execute(
            text(
                "INSERT INTO portal_plugin_states (name, enabled, changed_at) VALUES ('loyalty', :off, :now)"
            ),
            {"off": False, "now": "2026-12-07 12:00:00"},
        )
        db.session.commit()
    assert panel_notes_seen(app) == 8
    assert client.get("/loyalty/rewards").status_code == 404, "switched off by hand, gone at once"


def test_a_value_a_unit_has_not_committed_is_not_served_to_another_unit(app):
    assert panel_notes_seen(app) == 3
    with app.test_request_context():
        set_setting("example", "panel_notes", 9, actor_id=None)
        assert get_setting("example", "panel_notes") == 9, "the unit that changed it sees it"
        assert panel_notes_seen(app) == 3, "another request meanwhile reads what is committed"
        db.session.commit()
    assert panel_notes_seen(app) == 9


def test_a_rolled_back_change_is_never_served_to_the_next_request(app):
    with app.test_request_context():
        set_setting("example", "panel_notes", 6, actor_id=None)
        assert get_setting("example", "panel_notes") == 6
        db.session.rollback()
    assert panel_notes_seen(app) == 3


def test_a_unit_that_switched_a_plugin_off_sees_it_off_in_a_new_session(app):
    """``switch_plugin`` commits, then forgets: what runs after it in the unit (jobs at the end of a
    request, in a session of their own) must not take the worker's switches from before."""
    with app.app_context():
        assert plugin_host().is_enabled("example")
    with app.app_context():
        assert plugin_host().is_enabled("example")
        switch_plugin("example", False, actor_id=None)
        db.session.remove()
        assert not plugin_host().is_enabled("example")
    with app.app_context():
        assert not plugin_host().is_enabled("example"), "and every later unit"
