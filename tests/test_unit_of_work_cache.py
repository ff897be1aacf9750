"""Plugin switches, settings and notification kinds are read once per unit of work (a request, a job,
a tick), seen at once by the unit that changes them, and fresh in the next unit on every worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import portal_example_plugin
import pytest
from flask import Flask
from portal_example_plugin.notifications import NOTE_REMINDER
from sqlalchemy import func, select, text

from plugins.loyalty import ledger
from portal.accounts.models import User
from portal.database import db
from portal.mail import send_mail
from portal.notifications.models import Notification
from portal.notifications.service import notify
from portal.plugin import enqueue, get_setting, set_setting, task
from portal.plugin_manager import plugin_host
from portal.schedule import ScheduleRun
from portal.testing import statements_run

SWITCHES = "portal_plugin_states"
SETTINGS = "portal_settings"
# The statements the loyalty page costs a signed-in customer: 9 measured, with a little room.
PAGE_BUDGET = 12


def reads_of(table: str, statements: list[str]) -> int:
    return sum(
        1
        for statement in statements
        if statement.lstrip().upper().startswith("SELECT") and table in statement
    )


def changed_elsewhere(app: Flask) -> None:
    """Another worker changed a setting: this worker's kept switches and settings are stale, so the next
    unit reads them once (portal/configuration_cache.py) and the counts below are of a cold read."""
    with app.app_context():
        db.session.execute(text("UPDATE portal_configuration_generation SET generation = generation + 1"))
        db.session.commit()


@contextmanager
def hook_calls(app: Flask) -> Iterator[list[str]]:
    """The names of the hooks called through the plugin host while the block runs (pluggy's own monitor)."""
    called: list[str] = []
    undo = plugin_host(app).manager.add_hookcall_monitoring(
        lambda name, _impls, _kwargs: called.append(name), lambda *_args: None
    )
    try:
        yield called
    finally:
        undo()


# --- a tick: the loyalty daily tier refresh ---------------------------------------------------------


def every_scheduled_task_due(app: Flask) -> None:
    with app.app_context():  # in Python: SQLite cannot subtract an interval from a stored date
        for run in db.session.scalars(select(ScheduleRun)):
            run.last_started_at -= timedelta(days=2)
        db.session.commit()


def tick_statements_with_accounts(app: Flask, make_user: Callable[..., Any], accounts: int) -> list[str]:
    for _ in range(accounts):
        person = make_user()
        with app.app_context():
            ledger.credit(person.id, 10, "earned")
            db.session.commit()
    every_scheduled_task_due(app)
    changed_elsewhere(app)
    with statements_run(app) as statements:
        result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "loyalty.refresh_tiers" in result.output
    return statements


@pytest.mark.plugins("loyalty")
def test_daily_tier_refresh_reads_switches_and_settings_a_constant_number_of_times(app, make_user):
    few = tick_statements_with_accounts(app, make_user, 2)
    many = tick_statements_with_accounts(app, make_user, 12)
    assert reads_of(SWITCHES, many) == reads_of(SWITCHES, few) == 1, "one tick reads the switches once"
    assert reads_of(SETTINGS, many) == reads_of(SETTINGS, few) == 1, "and loyalty's settings once"


# --- notify in a loop -------------------------------------------------------------------------------


@pytest.mark.plugins("example")
def test_notify_in_a_loop_reads_the_switches_and_collects_the_kinds_once(app, make_user, monkeypatch):
    person = make_user()
    collected: list[int] = []
    real = portal_example_plugin.notification_types

    def counted() -> list[Any]:  # the real declaration, counted each time the plugin is asked
        collected.append(1)
        return real()

    monkeypatch.setattr(portal_example_plugin, "notification_types", counted)
    changed_elsewhere(app)
    with statements_run(app) as statements, app.app_context():
        user = db.session.get(User, person.id)
        for number in range(20):
            notify(user, NOTE_REMINDER, f"Reminder {number}")
        db.session.commit()
    assert reads_of(SWITCHES, statements) == 1
    assert len(collected) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 20


# --- pages, fragments and mails -----------------------------------------------------------------------


@pytest.mark.plugins("example", "tickets", "loyalty", "documents", "surveys")
def test_nav_hooks_run_when_the_layout_renders_and_not_for_fragments_or_mails(app, client, login_as):
    person = login_as("customer")
    with hook_calls(app) as called:
        page = client.get("/tickets/")
    assert page.status_code == 200 and 'href="/example/"' in page.get_data(as_text=True)
    assert called.count("portal_nav_items") == 1

    with hook_calls(app) as called:
        fragment = client.get("/tickets/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<nav" not in fragment.get_data(as_text=True)
    assert "portal_nav_items" not in called

    with hook_calls(app) as called, app.test_request_context():
        send_mail(
            person.email,
            "Customer",
            "notification",
            "Hello",
            title="Hello",
            body="",
            link="/",
            preferences_link="/",
        )
    assert "portal_nav_items" not in called and "portal_staff_nav_items" not in called


@pytest.mark.plugins("example", "tickets", "loyalty", "documents", "surveys")
def test_a_page_reads_switches_and_each_plugins_settings_at_most_once(app, client, login_as):
    login_as("customer")
    client.get("/")
    changed_elsewhere(app)
    with statements_run(app) as statements:
        page = client.get("/loyalty/")
    assert page.status_code == 200
    assert reads_of(SWITCHES, statements) == 1
    assert reads_of(SETTINGS, statements) <= 1, "loyalty is the only plugin whose settings this page reads"
    assert len(statements) <= PAGE_BUDGET, len(statements)


# --- a change is seen at once by the unit that makes it, and a rollback forgets it -------------------


@pytest.mark.plugins("example")
def test_a_setting_changed_and_rolled_back_reads_as_the_committed_value_again(app):
    with app.test_request_context():
        assert get_setting("example", "panel_notes") == 3
        set_setting("example", "panel_notes", 7, actor_id=None)
        assert get_setting("example", "panel_notes") == 7, "the unit that changes it sees it at once"
        db.session.rollback()
        assert get_setting("example", "panel_notes") == 3, "nobody committed 7"


@pytest.mark.plugins("example")
def test_a_setting_changed_in_a_savepoint_that_rolls_back_reads_as_before(app):
    with app.test_request_context():
        set_setting("example", "panel_notes", 5, actor_id=None)
        with db.session.begin_nested() as savepoint:
            set_setting("example", "panel_notes", 7, actor_id=None)
            assert get_setting("example", "panel_notes") == 7
            savepoint.rollback()
        assert get_setting("example", "panel_notes") == 5
        db.session.rollback()
        assert get_setting("example", "panel_notes") == 3


# --- the next unit on any worker sees a change ----------------------------------------------------------

seen_by_jobs: list[int] = []
other_worker: list[Flask] = []


@task("tests.read_panel_notes")
def read_panel_notes(then_change_elsewhere: bool) -> None:
    seen_by_jobs.append(get_setting("example", "panel_notes"))
    if then_change_elsewhere:
        with other_worker[0].app_context():
            set_setting("example", "panel_notes", 9, actor_id=None)
            db.session.commit()


@pytest.mark.plugins("example")
def test_each_job_a_worker_runs_reads_what_another_worker_changed_before(redis_queue, app, second_worker):
    seen_by_jobs.clear()
    other_worker[:] = [second_worker]
    with app.app_context():
        enqueue("tests.read_panel_notes", then_change_elsewhere=True)
        enqueue("tests.read_panel_notes", then_change_elsewhere=False)
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    assert seen_by_jobs == [3, 9], "one worker process, two jobs: the second sees the change"
