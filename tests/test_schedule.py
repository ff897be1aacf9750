"""Scheduled work: ``portal tick`` runs each due task once, however many ticks run at the same time.

The example plugin's heartbeat (every hour) notes each run in a table of its own, so the tests count
runs in the database, across threads and processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from portal_example_plugin import heartbeat
from portal_example_plugin.event_log import received_ids
from portal_example_plugin.events import note_added
from portal_example_plugin.heartbeat import count_beats
from sqlalchemy import select, update

from portal import create_app
from portal.database import db, utcnow
from portal.jobs import Job
from portal.leases import RUNNING_LEASE
from portal.plugin import ScheduledTask
from portal.schedule import ScheduleRun, run_tick

PORTAL_COMMAND = str(Path(sys.executable).with_name("portal"))


def beats(app: Flask) -> int:
    with app.app_context():
        return count_beats()


def time_passes(app: Flask, delta: timedelta) -> None:
    """Move the scheduled tasks' last starts back by ``delta``, as if that much time had gone by."""
    with app.app_context():  # in Python: SQLite cannot subtract an interval from a stored date
        for run in db.session.scalars(select(ScheduleRun)):
            run.last_started_at -= delta
        db.session.commit()


def tick(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    return result.output


@contextmanager
def second_app(app_config: dict[str, object]) -> Iterator[Flask]:
    """Another machine's tick on the same database: its own app, engine and plugin host."""
    other = create_app(dict(app_config))
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


@pytest.mark.plugins("example")
def test_portal_scheduled_tasks_run_from_tick_while_the_plugin_is_on(app):
    assert "Ran example.heartbeat." in tick(app)
    assert beats(app) == 1
    with app.app_context():
        run = db.session.get(ScheduleRun, "example.heartbeat")
        assert run.last_finished_at >= run.last_started_at and run.locked_until is None


def test_portal_scheduled_tasks_are_not_run_while_the_plugin_is_off(app):
    assert "Ran example." not in tick(app)
    assert beats(app) == 0


@pytest.mark.plugins("example")
def test_tick_runs_a_task_again_only_once_its_interval_has_passed(app):
    tick(app)
    tick(app)
    assert beats(app) == 1
    time_passes(app, heartbeat.EVERY - timedelta(minutes=1))
    tick(app)
    assert beats(app) == 1
    time_passes(app, timedelta(minutes=1))
    tick(app)
    assert beats(app) == 2


@pytest.mark.plugins("example")
def test_two_ticks_at_the_same_time_do_each_piece_of_work_once(app, app_config, monkeypatch):
    with app.app_context():
        event = note_added(7)
        db.session.commit()
        db.session.remove()  # the process died before delivering the event
    with app.app_context():  # …long enough ago that a tick takes it up again
        for job in db.session.scalars(select(Job)):
            job.locked_until -= timedelta(hours=1)
        db.session.commit()

    # Slow the heartbeat a little so the two ticks surely overlap while one of them runs it.
    beat = heartbeat.beat

    def slow_beat() -> None:
        threading.Event().wait(0.3)
        beat()

    monkeypatch.setattr(heartbeat, "beat", slow_beat)
    with second_app(app_config) as one, second_app(app_config) as two:
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def tick_in(machine: Flask) -> None:
            try:
                with machine.app_context():
                    start.wait()
                    run_tick()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=tick_in, args=(machine,)) for machine in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert beats(app) == 1
    with app.app_context():
        assert received_ids() == [event.id]
        assert set(db.session.scalars(select(Job.status))) == {"done"}


@pytest.mark.plugins("example")
def test_two_portal_tick_processes_at_the_same_time_run_the_heartbeat_once(app, app_config, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=str(app_config["PORTAL_DATABASE_URL"]),
        PORTAL_PLUGINS="example",
        PORTAL_SECRET_KEY=str(app_config["PORTAL_SECRET_KEY"]),
        PORTAL_INSTANCE_PATH=str(tmp_path / "cron-instance"),
    )
    ticks = [
        subprocess.Popen(
            [PORTAL_COMMAND, "tick"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60)[0] for process in ticks]
    assert [process.returncode for process in ticks] == [0, 0], outputs
    assert sum("Ran example.heartbeat." in output for output in outputs) == 1, outputs
    assert beats(app) == 1


@pytest.mark.plugins("example")
def test_failing_scheduled_task_fails_the_tick_and_runs_again_when_due(app, client, login_as, monkeypatch):
    def broken() -> None:
        raise RuntimeError("the heartbeat's table is locked")

    monkeypatch.setattr(heartbeat, "beat", broken)
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 1
    assert "These scheduled tasks failed (see the log): example.heartbeat" in result.output
    login_as("admin")
    assert "Last run failed" in client.get("/staff/operations/").get_data(as_text=True)

    monkeypatch.undo()
    tick(app)
    assert beats(app) == 0, "a failed run waits for its next turn"
    time_passes(app, heartbeat.EVERY)
    tick(app)
    assert beats(app) == 1
    assert "Last run failed" not in client.get("/staff/operations/").get_data(as_text=True)


@pytest.mark.plugins("example")
def test_a_badly_named_scheduled_task_stops_the_tick_with_a_clear_message(app, monkeypatch):
    monkeypatch.setattr(
        heartbeat,
        "scheduled_tasks",
        lambda: [ScheduledTask(name="heartbeat", every=timedelta(hours=1), function=heartbeat.beat)],
    )
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 1
    assert "scheduled task names must start with 'example.'" in result.output


@pytest.mark.plugins("example")
def test_a_task_whose_tick_died_runs_again_once_the_running_lease_of_jobs_runs_out(app):
    tick(app)
    with app.app_context():  # a tick took the heartbeat again an hour later and died running it
        db.session.execute(
            update(ScheduleRun)
            .where(ScheduleRun.name == "example.heartbeat")
            .values(last_started_at=utcnow(), locked_until=utcnow() + RUNNING_LEASE)
        )
        db.session.commit()
    time_passes(app, heartbeat.EVERY)
    assert "Ran example." not in tick(app), "the lease holds while it lasts, though the task is due"
    with app.app_context():
        run = db.session.get(ScheduleRun, "example.heartbeat")
        run.locked_until -= RUNNING_LEASE + timedelta(minutes=1)
        db.session.commit()
    assert "Ran example.heartbeat." in tick(app)
    assert beats(app) == 2
