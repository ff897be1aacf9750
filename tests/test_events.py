"""Events: stored with the transaction that emitted them, delivered after its commit, once per plugin.

The example plugin's handler logs every event it receives in a table with no unique key, so an event
handled twice would show up twice. Every test runs on SQLite and, when configured, PostgreSQL; the
Redis tests use the real Redis (PORTAL_TEST_REDIS_URL).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Blueprint, Flask, abort, request
from portal_example_plugin import event_log
from portal_example_plugin.event_log import received_ids
from portal_example_plugin.events import NoteAdded, note_added
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from portal import create_app
from portal.access import public
from portal.database import db
from portal.event_types import declared_events
from portal.events import EventDelivery, StoredEvent, deliver_event
from portal.jobs import Job, run_job
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


def delivery_of(app: Flask, event_id: int) -> EventDelivery | None:
    with app.app_context():
        row = db.session.scalar(select(EventDelivery).where(EventDelivery.event_id == event_id))
        if row is not None:
            db.session.expunge(row)
        return row


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def time_passes(app: Flask, delta: timedelta) -> None:
    """Move every delivery's retry time back by ``delta``, as if that much time had gone by."""
    with app.app_context():  # in Python: SQLite cannot subtract an interval from a stored date
        for delivery in db.session.scalars(
            select(EventDelivery).where(EventDelivery.next_attempt_at.is_not(None))
        ):
            delivery.next_attempt_at -= delta
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
    assert delivery_of(app, event.id).status == "pending"

    time_passes(app, timedelta(hours=1))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert received(app) == [], "a switched-off plugin's hooks are left out, ticks included"

    with app.app_context():
        switch_plugin("example", True, actor_id=None)
    time_passes(app, timedelta(hours=1))
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert received(app) == [event.id]


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
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "RuntimeError: the notes ledger is offline" in delivery.last_error
    assert delivery.next_attempt_at is not None, "a retry is scheduled"
    assert received(app) == []

    login_as("admin")
    page = client.get("/staff/operations/").get_data(as_text=True)
    assert "example.note_added" in page and "the notes ledger is offline" in page
    assert f'action="/staff/operations/deliveries/{delivery.id}/retry"' in page

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
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 10, None)


@pytest.mark.plugins("example")
def test_admin_retries_a_failed_delivery_from_the_operations_page(app, client, login_as, monkeypatch):
    break_handler(monkeypatch)
    event_id = emit_and_commit(app)
    delivery_id = delivery_of(app, event_id).id
    monkeypatch.undo()

    login_as("admin")
    response = post_form(client, f"/staff/operations/deliveries/{delivery_id}/retry", {})
    assert response.status_code == 302
    assert received(app) == [event_id]
    assert post_form(client, f"/staff/operations/deliveries/{delivery_id}/retry", {}).status_code == 404
    assert post_form(client, "/staff/operations/deliveries/999999/retry", {}).status_code == 404
    assert client.post(f"/staff/operations/deliveries/{delivery_id}/retry").status_code == 400, "CSRF"


@pytest.mark.plugins("example")
@pytest.mark.parametrize("role", ["agent", "customer"])
def test_only_administrators_see_the_operations_page(client, login_as, role):
    login_as(role)
    assert client.get("/staff/operations/").status_code == 403
    assert post_form(client, "/staff/operations/deliveries/1/retry", {}).status_code == 403


# --- Exactly once --------------------------------------------------------------------------------


@pytest.mark.plugins("example")
def test_the_same_event_delivered_twice_has_one_effect(app):
    with app.app_context():
        event = note_added(7)
        db.session.commit()
        deliver_event(event.id)
        deliver_event(event.id)
        job_id = db.session.scalar(select(Job.id))
    assert received(app) == [event.id], "the job queued by emit found it delivered"
    with app.app_context():
        run_job(job_id)
        deliver_event(event.id)
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
                        deliver_event(event.id)
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
    assert delivery_of(app, event_id).status == "pending"
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
