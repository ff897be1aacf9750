"""Events: stored with the transaction that emitted them, delivered after its commit, once per plugin.

The example plugin's handler logs every event it receives in a table with no unique key, so an event
handled twice would show up twice. Every test runs on SQLite and, when configured, PostgreSQL; the
Redis tests use the real Redis (PORTAL_TEST_REDIS_URL).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask, abort, request
from portal_example_plugin import event_log
from portal_example_plugin.event_log import received_ids
from portal_example_plugin.events import NoteAdded, note_added
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from portal import create_app
from portal.access import public
from portal.database import db, utcnow
from portal.event_types import declared_events
from portal.events import EventDelivery, StoredEvent, deliver_event
from portal.jobs import RETRY_POLICY, Job, enqueue, run_job, task
from portal.staff.plugin_switch import switch_plugin
from portal.testing import post_form


def emit_and_commit(app: Flask, **fields: object) -> int:
    """Emit in a transaction of its own; the app context's end is when in-process delivery happens."""
    with app.app_context():
        event = note_added(7, **fields)
        db.session.commit()
        return event.id


def received(app: Flask) -> list[int]:
    with app.app_context():
        return received_ids()


@dataclass(frozen=True)
class Delivery:
    """One plugin's delivery as an administrator sees it: its job's state, or "delivered"."""

    id: int
    plugin: str
    job_id: int
    status: str  # delivered, queued, waiting (for its plugin), running or failed
    attempts: int
    last_error: str | None
    run_after: datetime


def delivery_of(app: Flask, event_id: int) -> Delivery | None:
    with app.app_context():
        row = db.session.scalar(select(EventDelivery).where(EventDelivery.event_id == event_id))
        if row is None:
            return None
        job = db.session.get(Job, row.job_id)
        status = "delivered" if row.delivered_at else "waiting" if job.waiting_for else job.status
        return Delivery(row.id, row.plugin, job.id, status, job.attempts, job.last_error, job.run_after)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def time_passes(app: Flask, delta: timedelta) -> None:
    """Move every job's clocks back by ``delta``, as if that much time had gone by."""
    with app.app_context():  # in Python: SQLite cannot subtract an interval from a stored date
        for job in db.session.scalars(select(Job)):
            job.run_after -= delta
            if job.locked_until is not None:
                job.locked_until -= delta
        db.session.commit()


@contextmanager
def second_app(app_config: dict[str, object]) -> Iterator[Flask]:
    """Another worker process on the same database: its own app, engine and plugin host."""
    other = create_app(dict(app_config))
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


# --- The hook ------------------------------------------------------------------------------------


@pytest.mark.plugins("example")
def test_portal_handle_event_receives_the_event_after_the_commit(app):
    with app.app_context():
        event = note_added(7, tags=("a", "b"))
        assert received_ids() == [], "nothing is handed out before the commit"
        db.session.commit()
        assert received_ids() == [], "in-process delivery waits for the end of the unit of work"
    assert received(app) == [event.id]
    assert event.name == "example.note_added"
    assert event.payload == {"note_id": 7, "tags": ["a", "b"]}, "handlers get what JSON stored"
    assert (event.data.note_id, event.fact) == (7, "added:7"), "and the typed event its owner declared"
    delivery = delivery_of(app, event.id)
    assert (delivery.plugin, delivery.status, delivery.attempts) == ("example", "delivered", 1)


def test_portal_handle_event_is_not_called_while_the_plugin_is_off(app):
    event_id = emit_and_commit(app)
    assert received(app) == []
    assert delivery_of(app, event_id) is None, "no plugin to deliver to"
    assert count(app, StoredEvent) == 1, "the outbox keeps the event all the same"
    assert count(app, Job) == 0, "and no delivery job is queued for nobody"


@pytest.mark.plugins("example")
def test_event_for_a_plugin_switched_off_before_delivery_waits_until_it_is_on(app):
    with app.app_context():
        event = note_added(7)
        db.session.commit()
        switch_plugin("example", False, actor_id=None)
    assert received(app) == []
    waiting = delivery_of(app, event.id)
    assert (waiting.status, waiting.attempts) == ("waiting", 0), "waiting uses up no attempt"

    time_passes(app, timedelta(days=2))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert received(app) == [], "a switched-off plugin's hooks are left out, ticks included"
    assert delivery_of(app, event.id).status == "waiting"

    with app.app_context():
        switch_plugin("example", True, actor_id=None)
    assert "woke 1 jobs" in runner.invoke(args=["tick"]).output
    assert received(app) == [event.id]
    assert (delivery_of(app, event.id).status, delivery_of(app, event.id).attempts) == ("delivered", 1)


def test_portal_event_types_declares_what_a_plugin_may_emit_and_handlers_receive_typed(app):
    with app.app_context():
        declared = declared_events().declaration("example.note_added")
        assert (declared.event_type, declared.owner) == (NoteAdded, "example"), "asked of installed plugins"
        event = note_added(7, tags=("a",))
        db.session.commit()
    assert isinstance(event.data, NoteAdded) and event.data == NoteAdded(note_id=7, tags=("a",))
    assert event.fact == "added:7"


# --- Transactions --------------------------------------------------------------------------------


@pytest.mark.plugins("example")
def test_event_emitted_in_a_transaction_that_rolls_back_is_never_delivered(app):
    with app.app_context():
        note_added(7)
        db.session.rollback()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert runner.invoke(args=["events", "replay"]).output.startswith("Delivered 0;")
    assert received(app) == []
    assert count(app, StoredEvent) == 0
    assert count(app, Job) == 0


@pytest.fixture
def emitting_view(app: Flask) -> str:
    """A view that emits and then commits, or fails with 409 before committing."""
    bp = Blueprint("test_emitting", __name__)

    @bp.route("/test-emit", methods=["POST"])
    @public
    def emit_note():
        note_added(7)
        if request.form.get("then") == "fail":
            abort(409)
        db.session.commit()
        return "saved"

    app.register_blueprint(bp)
    return "/test-emit"


@pytest.mark.plugins("example")
def test_event_emitted_in_a_request_is_delivered_when_the_request_commits(app, client, emitting_view):
    assert post_form(client, emitting_view, {"then": "fail"}).status_code == 409
    assert received(app) == []
    assert count(app, StoredEvent) == 0

    assert post_form(client, emitting_view, {"then": "commit"}).status_code == 200
    with app.app_context():
        event_id = db.session.scalar(select(StoredEvent.id))
    assert received(app) == [event_id], "delivered in-process once the request ended"


@pytest.mark.plugins("example")
def test_emit_refuses_what_it_cannot_store(app):
    with app.app_context():
        with pytest.raises(TypeError, match="JSON-serialisable"):
            note_added(7, tags=(object(),))
        with pytest.raises(ValueError, match="larger than 64 KiB"):
            note_added(7, tags=("x" * 70_000,))
        db.session.rollback()
    assert count(app, StoredEvent) == 0


# --- Failing handlers --------------------------------------------------------------------------


def break_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(event: object) -> None:
        raise RuntimeError("the notes ledger is offline")

    monkeypatch.setattr(event_log, "record", refuse)


@pytest.mark.plugins("example")
def test_handler_that_raises_keeps_the_event_for_a_retry_an_admin_can_see(app, client, login_as, monkeypatch):
    break_handler(monkeypatch)
    event_id = emit_and_commit(app)
    delivery = delivery_of(app, event_id)
    assert (delivery.status, delivery.attempts) == ("queued", 1), "a retry is scheduled"
    assert "RuntimeError: the notes ledger is offline" in delivery.last_error
    assert received(app) == []

    login_as("admin")
    page = client.get("/staff/operations/").get_data(as_text=True)
    row = page.split(f'id="job-{delivery.job_id}"')[1].split("</tr>")[0]
    assert "example.note_added" in row and "example" in row and "the notes ledger is offline" in row
    assert f'action="/staff/operations/jobs/{delivery.job_id}/retry"' in row

    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert delivery_of(app, event_id).attempts == 1, "the retry waits for its backoff"

    monkeypatch.undo()  # the handler is fixed
    time_passes(app, timedelta(minutes=2))
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert received(app) == [event_id]
    assert delivery_of(app, event_id).status == "delivered"

    time_passes(app, timedelta(hours=1))
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert runner.invoke(args=["events", "replay"]).exit_code == 0
    assert received(app) == [event_id], "delivered once, however often ticked or replayed"
    assert "the notes ledger is offline" not in client.get("/staff/operations/").get_data(as_text=True)


@pytest.mark.plugins("example")
def test_replay_delivers_failed_events_at_once_after_a_fix(app, monkeypatch):
    break_handler(monkeypatch)
    first, second = emit_and_commit(app), emit_and_commit(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["events", "replay"])
    assert result.exit_code == 1 and "Delivered 0; failed 2;" in result.output

    monkeypatch.undo()
    result = runner.invoke(args=["events", "replay"])
    assert result.exit_code == 0, result.output
    assert "Delivered 2; failed 0;" in result.output
    assert received(app) == [first, second]


@pytest.mark.plugins("example")
def test_delivery_gives_up_after_its_last_attempt(app, monkeypatch):
    break_handler(monkeypatch)
    event_id = emit_and_commit(app)
    runner = app.test_cli_runner()
    for _ in range(12):
        time_passes(app, timedelta(hours=7))
        assert runner.invoke(args=["tick"]).exit_code == 0
    delivery = delivery_of(app, event_id)
    assert (delivery.status, delivery.attempts) == ("failed", RETRY_POLICY.max_attempts)


@pytest.mark.plugins("example")
def test_admin_retries_a_failed_delivery_from_the_operations_page(app, client, login_as, monkeypatch):
    break_handler(monkeypatch)
    event_id = emit_and_commit(app)
    job_id = delivery_of(app, event_id).job_id
    monkeypatch.undo()

    login_as("admin")
    response = post_form(client, f"/staff/operations/jobs/{job_id}/retry", {})
    assert response.status_code == 302
    assert received(app) == [event_id]
    assert delivery_of(app, event_id).status == "delivered"
    assert post_form(client, f"/staff/operations/jobs/{job_id}/retry", {}).status_code == 404
    assert post_form(client, "/staff/operations/jobs/999999/retry", {}).status_code == 404
    assert client.post(f"/staff/operations/jobs/{job_id}/retry").status_code == 400, "CSRF"


@pytest.mark.plugins("example")
@pytest.mark.parametrize("role", ["agent", "customer"])
def test_only_administrators_see_the_operations_page(client, login_as, role):
    login_as(role)
    assert client.get("/staff/operations/").status_code == 403
    assert post_form(client, "/staff/operations/jobs/1/retry", {}).status_code == 403


# --- Exactly once --------------------------------------------------------------------------------


@pytest.mark.plugins("example")
def test_the_same_event_delivered_twice_has_one_effect(app):
    with app.app_context():
        event = note_added(7)
        db.session.commit()
        deliver_event(event.id, "example")
        deliver_event(event.id, "example")
        job_id = db.session.scalar(select(Job.id))
    assert received(app) == [event.id], "the job queued by emit found it delivered"
    with app.app_context():
        run_job(job_id)
        deliver_event(event.id, "example")
    assert received(app) == [event.id]
    assert delivery_of(app, event.id).attempts == 1


@contextmanager
def slow_handler_writes(seconds: float) -> Iterator[None]:
    """Hold every write to the handler's table for a moment, so two deliveries surely overlap."""

    def pause(_conn, _cursor, statement, _params, _context, _many) -> None:
        if statement.startswith("INSERT INTO example_received_events"):
            threading.Event().wait(seconds)

    sa_event.listen(Engine, "before_cursor_execute", pause)
    try:
        yield
    finally:
        sa_event.remove(Engine, "before_cursor_execute", pause)


@pytest.mark.plugins("example")
def test_two_workers_delivering_the_same_event_at_once_have_one_effect(app, app_config):
    with app.app_context():
        event = note_added(7)
        db.session.commit()
        # Two more workers on the same database get the event before this context ends and
        # delivers it too.
        with second_app(app_config) as one, second_app(app_config) as two, slow_handler_writes(0.3):
            start = threading.Barrier(2)
            errors: list[BaseException] = []

            def deliver_in(worker: Flask) -> None:
                try:
                    with worker.app_context():
                        start.wait()
                        deliver_event(event.id, "example")
                except BaseException as error:
                    errors.append(error)

            threads = [threading.Thread(target=deliver_in, args=(worker,)) for worker in (one, two)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert errors == []
    assert received(app) == [event.id]


# --- Through Redis ------------------------------------------------------------------------------


@pytest.mark.plugins("example")
def test_with_redis_an_event_waits_for_the_worker_then_arrives_once(redis_queue, app):
    event_id = emit_and_commit(app)
    assert received(app) == [], "the request does not wait for delivery"
    assert delivery_of(app, event_id).status == "queued"
    assert redis_queue.count == 1

    runner = app.test_cli_runner()
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert received(app) == [event_id]
    assert redis_queue.count == 0

    with app.app_context():
        job_id = db.session.scalar(select(Job.id))
    redis_queue.enqueue("portal.jobs.run_queued_job", job_id)  # the same job handed out twice
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert received(app) == [event_id]


# --- One retry policy for all background work ----------------------------------------------------


@task("tests.always_fails")
def always_fails() -> None:
    raise RuntimeError("the remote service is down")


def waits_in_minutes(app: Flask, job_ids: list[int]) -> list[tuple[str, int, int]]:
    """Each job's state, attempts and how long it waits before its next try."""
    with app.app_context():
        now = utcnow()
        jobs = [db.session.get(Job, job_id) for job_id in job_ids]
        return [
            (
                job.status,
                job.attempts,
                round((job.run_after - now).total_seconds() / 60) if job.status == "queued" else 0,
            )
            for job in jobs
        ]


@pytest.mark.plugins("example")
def test_a_failing_handler_and_a_failing_job_back_off_alike_and_give_up_at_the_same_attempt(app, monkeypatch):
    break_handler(monkeypatch)
    delivery_job = delivery_of(app, emit_and_commit(app)).job_id
    with app.app_context():
        other_job = enqueue("tests.always_fails")
        db.session.commit()
    runner = app.test_cli_runner()
    history = []
    for _ in range(RETRY_POLICY.max_attempts + 2):
        delivery_state, job_state = waits_in_minutes(app, [delivery_job, other_job])
        assert delivery_state == job_state, f"after {len(history)} ticks"
        history.append(job_state)
        time_passes(app, RETRY_POLICY.cap + timedelta(hours=1))
        assert runner.invoke(args=["tick"]).exit_code == 0
    assert [waited for _, _, waited in history[:4]] == [1, 2, 4, 8], "waits double from one minute"
    assert history[-1] == ("failed", RETRY_POLICY.max_attempts, 0)
    assert history[RETRY_POLICY.max_attempts - 1][:2] == ("failed", RETRY_POLICY.max_attempts)


# --- The migration that made deliveries jobs ----------------------------------------------------

old_events = sa.table(
    "portal_events",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("created_at", sa.DateTime()),
)
old_deliveries = sa.table(
    "portal_event_deliveries",
    sa.column("event_id", sa.Integer()),
    sa.column("plugin", sa.String()),
    sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("last_error", sa.Text()),
    sa.column("next_attempt_at", sa.DateTime()),
    sa.column("delivered_at", sa.DateTime()),
)
old_jobs = sa.table(
    "portal_jobs",
    sa.column("task", sa.String()),
    sa.column("arguments", sa.JSON()),
    sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("max_attempts", sa.Integer()),
    sa.column("run_after", sa.DateTime()),
    sa.column("created_at", sa.DateTime()),
)
plugin_states = sa.table(
    "portal_plugin_states",
    sa.column("name", sa.String()),
    sa.column("enabled", sa.Boolean()),
    sa.column("changed_at", sa.DateTime()),
)


@pytest.mark.plugins("example")
def test_core_0008_carries_every_undelivered_delivery_over_as_a_job(app):
    now = utcnow()
    with app.app_context():
        flask_migrate.downgrade(revision="core_0007")
        with db.engine.begin() as connection:
            connection.execute(
                sa.insert(old_events),
                [
                    {
                        "id": number,
                        "name": "example.note_added",
                        "payload": {"note_id": number, "tags": []},
                        "created_at": now - timedelta(hours=1),
                    }
                    for number in (1, 2, 3, 4)
                ],
            )
            delivery = {"plugin": "example", "last_error": None, "delivered_at": None}
            connection.execute(
                sa.insert(old_deliveries),
                [
                    {
                        **delivery,
                        "event_id": 1,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now + timedelta(minutes=5),
                    },
                    {
                        **delivery,
                        "event_id": 2,
                        "status": "failed",
                        "attempts": 3,
                        "last_error": "OSError: down",
                        "next_attempt_at": now + timedelta(minutes=4),
                    },
                    {
                        **delivery,
                        "event_id": 3,
                        "status": "failed",
                        "attempts": 10,
                        "last_error": "OSError: gone",
                        "next_attempt_at": None,
                    },
                    {
                        **delivery,
                        "event_id": 4,
                        "status": "delivered",
                        "attempts": 1,
                        "next_attempt_at": None,
                        "delivered_at": now,
                    },
                    {
                        **delivery,
                        "event_id": 1,
                        "plugin": "loyalty",
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now + timedelta(minutes=5),
                    },
                ],
            )
            connection.execute(
                sa.insert(old_jobs).values(
                    task="core.deliver_event",
                    arguments={"event_id": 1},
                    status="queued",
                    attempts=0,
                    max_attempts=5,
                    run_after=now,
                    created_at=now,
                )
            )
            connection.execute(sa.insert(plugin_states).values(name="loyalty", enabled=False, changed_at=now))
        flask_migrate.upgrade(revision="heads")

    carried = {}
    with app.app_context():
        for row in db.session.scalars(select(EventDelivery)):
            job = db.session.get(Job, row.job_id) if row.job_id else None
            carried[(row.event_id, row.plugin)] = (
                job and (job.task, job.arguments, job.status, job.attempts, job.last_error, job.waiting_for),
                row.delivered_at is not None,
            )
        assert db.session.scalar(select(func.count()).select_from(Job)) == 4, (
            "the old all-plugins job is gone"
        )
    deliver = "core.deliver_event"
    assert carried == {
        (1, "example"): ((deliver, {"event_id": 1, "plugin": "example"}, "queued", 0, None, None), False),
        (2, "example"): (
            (deliver, {"event_id": 2, "plugin": "example"}, "queued", 3, "OSError: down", None),
            False,
        ),
        (3, "example"): (
            (deliver, {"event_id": 3, "plugin": "example"}, "failed", 10, "OSError: gone", None),
            False,
        ),
        (4, "example"): (None, True),
        (1, "loyalty"): (
            (deliver, {"event_id": 1, "plugin": "loyalty"}, "queued", 0, None, "loyalty"),
            False,
        ),
    }

    time_passes(app, timedelta(minutes=10))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert received(app) == [1, 2], "the pending and the retrying deliveries arrive"
    listing = runner.invoke(args=["jobs", "list-failed"]).output
    assert "example.note_added -> example" in listing and "10/10  failed" in listing, listing
