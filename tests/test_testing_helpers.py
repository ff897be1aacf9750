"""The helpers portal.testing offers plugin authors: each does what its docs promise, and the safety nets
catch what they are for, on the example plugin and every built-in plugin.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib.metadata import EntryPoint

import pytest
from flask import Blueprint, Flask
from playwright.sync_api import Page, expect
from portal_example_plugin.events import NoteAdded, note_added
from portal_example_plugin.heartbeat import count_beats
from sqlalchemy import text

from portal import create_app, plugin_manager
from portal.database import db, utcnow
from portal.plugin import hookimpl, public
from portal.plugin_manager import ENTRY_POINT_GROUP
from portal.testing import (
    check_migrations_match_models,
    events_emitted,
    freeze_clock,
    run_scheduled_task,
    walk_routes_anonymously,
)
from portal.testing.browser import LiveServer, sign_in_page

PLUGINS_TO_CHECK = ["example", "tickets", "loyalty", "documents", "surveys"]

# --- running a scheduled task now ----------------------------------------------------------------


@pytest.mark.plugins("example")
def test_a_scheduled_task_runs_now_however_recently_it_ran(app: Flask) -> None:
    run_scheduled_task(app, "example.heartbeat")
    run_scheduled_task(app, "example.heartbeat")
    with app.app_context():
        assert count_beats() == 2, "the hourly heartbeat ran twice in a row: its lease was not in the way"


@pytest.mark.plugins("example")
def test_running_a_task_by_hand_leaves_the_ticks_schedule_alone(app: Flask) -> None:
    run_scheduled_task(app, "example.heartbeat")
    assert app.test_cli_runner().invoke(args=["tick"]).exit_code == 0
    with app.app_context():
        assert count_beats() == 2, "the next tick still found the heartbeat due"


@pytest.mark.plugins("example")
def test_an_unknown_task_names_the_ones_there_are(app: Flask) -> None:
    with pytest.raises(LookupError, match=r"'example\.heartbeet'.*example\.heartbeat"):
        run_scheduled_task(app, "example.heartbeet")


def test_a_task_of_a_plugin_that_is_off_is_not_found(app: Flask) -> None:
    with pytest.raises(LookupError, match="Is its plugin enabled"):
        run_scheduled_task(app, "example.heartbeat")


# --- the events a block emitted -------------------------------------------------------------------


@pytest.mark.plugins("example")
def test_events_emitted_lists_the_committed_events_typed_and_in_order(app: Flask, make_user) -> None:
    customer = make_user()
    with events_emitted(app) as emitted, app.app_context():
        note_added(note_id=7, tags=("home",), customer_id=customer.id)
        note_added(note_id=8, customer_id=customer.id)
        db.session.commit()
        note_added(note_id=9, customer_id=customer.id)
        db.session.rollback()
    assert emitted == [NoteAdded(note_id=7, tags=("home",)), NoteAdded(note_id=8)]


@pytest.mark.plugins("example")
def test_events_from_before_the_block_are_not_listed(app: Flask) -> None:
    with app.app_context():
        note_added(note_id=1)
        db.session.commit()
    with events_emitted(app) as emitted:
        pass
    assert emitted == []


# --- freezing the clock ---------------------------------------------------------------------------


def test_the_portals_clock_follows_a_frozen_clock(app: Flask, make_user) -> None:
    when = datetime(2026, 1, 31, 9, 30)
    with freeze_clock(when) as clock:
        assert utcnow() == when == clock.now()
        person = make_user()
        clock.advance(timedelta(days=1))
        assert utcnow() == when + timedelta(days=1)
        clock.move_to(datetime(2027, 3, 1))
        assert utcnow() == datetime(2027, 3, 1)
    with app.app_context():
        joined = db.session.execute(
            text("SELECT created_at FROM portal_users WHERE id = :id"), {"id": person.id}
        ).scalar_one()
    assert str(joined).startswith("2026-01-31 09:30:00"), "the account was stored with the frozen time"
    assert utcnow() > datetime(2026, 12, 1), "the real clock is back after the block"


@pytest.mark.plugins("example")
def test_a_frozen_clock_makes_an_hourly_task_due_without_waiting(app: Flask) -> None:
    with freeze_clock(datetime(2026, 5, 4, 8, 0)) as clock:
        tick = app.test_cli_runner()
        tick.invoke(args=["tick"])
        tick.invoke(args=["tick"])
        clock.advance(timedelta(minutes=59))
        tick.invoke(args=["tick"])
        with app.app_context():
            assert count_beats() == 1, "an hourly task runs once within the hour"
        clock.advance(timedelta(minutes=1))
        tick.invoke(args=["tick"])
    with app.app_context():
        assert count_beats() == 2


# --- signing a browser page in --------------------------------------------------------------------


@pytest.mark.e2e
def test_sign_in_page_signs_the_browser_in_as_the_user(page: Page, live_server: LiveServer, make_user):
    person = make_user(name="Shirin Tabrizi")
    sign_in_page(page, live_server, person)
    expect(page).to_have_url(f"{live_server.url}/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Shirin Tabrizi")


@pytest.mark.e2e
def test_sign_in_page_says_why_a_sign_in_was_refused(page: Page, live_server: LiveServer, make_user) -> None:
    person = make_user()
    with pytest.raises(AssertionError, match=f"Signing in as {person.email} was refused"):
        sign_in_page(page, live_server.url, person, password="not the password")


# --- the safety nets, on every plugin we ship -----------------------------------------------------


@pytest.mark.parametrize(
    "plugin", [pytest.param(name, marks=pytest.mark.plugins(name)) for name in PLUGINS_TO_CHECK]
)
def test_each_plugins_migrations_match_its_models(app: Flask, plugin: str) -> None:
    check_migrations_match_models(app, plugin)


@pytest.mark.parametrize(
    "plugin", [pytest.param(name, marks=pytest.mark.plugins(name)) for name in PLUGINS_TO_CHECK]
)
def test_each_plugins_pages_are_closed_to_visitors(app: Flask, client, login_as, plugin: str) -> None:
    login_as("admin")  # the walk is anonymous whoever the test's client is
    visits = walk_routes_anonymously(client, plugin)
    assert visits, f"{plugin} has GET routes to walk"
    assert {visit.status for visit in visits if visit.access != "public"} <= {302, 401, 403, 404}


@pytest.mark.plugins("example")
def test_a_migration_that_forgot_an_index_is_named(app: Flask) -> None:
    with app.app_context():
        db.session.execute(text("DROP INDEX ix_example_notes_user_id"))
        db.session.commit()
    with pytest.raises(AssertionError, match=r"(?s)'example'.*ix_example_notes_user_id.*--head example@head"):
        check_migrations_match_models(app, "example")


def test_a_plugin_that_is_off_cannot_be_walked(client) -> None:
    with pytest.raises(AssertionError, match=r'@pytest.mark.plugins\("example"\)'):
        walk_routes_anonymously(client, "example")


crashing = Blueprint("crashing", __name__, url_prefix="/crashing")
PRICES = {5: "12 EUR"}


@crashing.route("/")
@public
def price_list() -> str:
    """A public page that works."""
    return "prices"


@crashing.route("/<int:item_id>")
@public
def price(item_id: int) -> str:
    """A public page that trusts its id: any id it does not know is an error of the server."""
    return PRICES[item_id]


class Crashing:
    """A stand-in for an installed plugin whose public page fails on an id it does not know."""

    @staticmethod
    @hookimpl
    def portal_blueprints() -> list[Blueprint]:
        return [crashing]


def test_a_public_page_that_fails_on_a_sample_id_is_named(monkeypatch, app_config) -> None:
    installed = plugin_manager.entry_points
    stand_in = EntryPoint(name="crashing", value=f"{__name__}:Crashing", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(plugin_manager, "entry_points", lambda **chosen: [*installed(**chosen), stand_in])
    app = create_app({**app_config, "PORTAL_PLUGINS": ["crashing"]})
    try:
        failure = r"GET /crashing/1 \(crashing.price, public\) raised KeyError"
        with pytest.raises(AssertionError, match=failure):
            walk_routes_anonymously(app.test_client(), "crashing")
    finally:
        with app.app_context():
            db.engine.dispose()
