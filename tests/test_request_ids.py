"""One request id per request: in the response, in JSON log lines, and in the jobs the request queues."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from portal import create_app
from portal.database import db
from portal.jobs import Job
from portal.plugin import enqueue, task
from portal.request_ids import current_request_id
from portal.testing.fixtures import free_port

seen_by_jobs: dict[str, str | None] = {}


@task("tests.note_request_id")
def note_request_id(key: str) -> None:
    seen_by_jobs[key] = current_request_id()


@pytest.fixture
def root_logging():
    """Give the root logger back as it was: the JSON handler is installed once per process."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers, root.level = handlers, level


def test_every_response_carries_an_id_of_its_own(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/login").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


def test_a_proxys_sane_id_is_kept_and_anything_else_replaced(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "nginx-4f2a.7"}).headers["X-Request-ID"]
        == "nginx-4f2a.7"
    )
    for sent in ("x" * 65, "two words", "evil\\nfake log line", ""):
        answered = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
        assert answered != sent and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_json_logs_carry_the_requests_id_and_the_traceback(app_config, root_logging):
    app = create_app(
        dict(app_config, PORTAL_LOG_FORMAT="json", PORTAL_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    )
    [handler] = root_logging.handlers
    captured = io.StringIO()
    handler.setStream(captured)
    response = app.test_client().get("/readyz", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 503
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    [warning] = [line for line in lines if line["message"] == "readiness check redis failed"]
    assert warning["level"] == "WARNING" and warning["logger"] == "portal.health"
    assert warning["request_id"] == "probe-1"
    assert "Traceback" in warning["exception"]


def test_text_logs_carry_the_requests_id_and_a_dash_outside_a_request(app_config, root_logging):
    root_logging.handlers = []  # as in a fresh server process, where nothing has set logging up
    app = create_app(dict(app_config, PORTAL_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    [handler] = root_logging.handlers
    captured = io.StringIO()
    handler.setStream(captured)
    assert app.test_client().get("/readyz", headers={"X-Request-ID": "probe-2"}).status_code == 503
    logging.getLogger("portal.jobs").warning("outside any request")
    lines = captured.getvalue().splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.fullmatch(
        stamp + r" WARNING \[probe-2\] portal\.health: readiness check redis failed", lines[0]
    )
    assert "Traceback" in captured.getvalue()
    assert re.fullmatch(stamp + r" WARNING \[-\] portal\.jobs: outside any request", lines[-1])


def test_text_logs_leave_a_logging_setup_of_the_deployments_own_alone(app_config, root_logging):
    own = logging.StreamHandler(io.StringIO())
    root_logging.handlers = [own]
    create_app(dict(app_config))
    assert root_logging.handlers == [own]


def test_a_job_queued_by_a_request_runs_under_that_requests_id(app):
    with app.test_request_context("/", headers={"X-Request-ID": "order-77"}):
        app.preprocess_request()
        job_id = enqueue("tests.note_request_id", key="order-77")
        db.session.commit()
    with app.app_context():
        assert db.session.get(Job, job_id).request_id == "order-77"
        assert db.session.get(Job, job_id).status == "done"
    assert seen_by_jobs["order-77"] == "order-77"
    assert current_request_id() is None, "nothing leaks out of the request"


def test_portal_check_names_an_unknown_log_format(tmp_path):
    from click.testing import CliRunner

    from portal.cli import main

    result = CliRunner().invoke(
        main, ["check"], env={"PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_LOG_FORMAT": "xml"}
    )
    assert result.exit_code == 1
    assert "PORTAL_LOG_FORMAT: is 'xml'; use text or json." in result.output
