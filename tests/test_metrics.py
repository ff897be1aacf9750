"""/metrics as Prometheus and an operator see it: what a request, a job, a mail or a tick adds, who may
scrape, and, under real gunicorn workers, one count for the whole server whichever worker answers.

The metrics belong to the process, so other tests in this process count into them too: each test
compares a scrape before with a scrape after.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from portal_example_plugin import event_log
from portal_example_plugin.events import note_added
from prometheus_client.parser import text_string_to_metric_families

from portal import create_app
from portal.access import public
from portal.database import db
from portal.jobs import Job, run_job_now
from portal.plugin import enqueue, task
from portal.schedule import run_tick
from portal.testing.fixtures import free_port, service_unavailable

TOKEN = "metrics-" + "k" * 40
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
REQUESTS = "portal_http_request_duration_seconds_count"
BIN = Path(sys.executable).parent

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@task("tests.metrics_flaky", max_attempts=2)
def always_fails(note: str) -> None:
    raise ConnectionRefusedError(f"the remote service refused {note}")


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    app_config["PORTAL_METRICS_TOKEN"] = TOKEN
    return app_config


def parse(text: str) -> Samples:
    """Every sample of a scrape, keyed by its name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics", headers=AUTHORIZED)
    assert response.status_code == 200, response.status
    return parse(response.get_data(as_text=True))


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def added(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_a_page_is_timed_under_its_endpoint_and_unknown_paths_share_one_label(client):
    before = scrape(client)
    assert client.get("/login").status_code == 200
    for _ in range(3):
        assert client.get(f"/no-such-page-{uuid.uuid4().hex}").status_code == 404
    response = client.get("/metrics", headers=AUTHORIZED)
    after = parse(response.get_data(as_text=True))

    assert added(before, after, REQUESTS, endpoint="auth.login", method="GET", status="2xx") == 1
    assert added(before, after, REQUESTS, endpoint="unmatched", method="GET", status="4xx") == 3
    assert "no-such-page" not in response.get_data(as_text=True)
    slowest = value(
        after,
        "portal_http_request_duration_seconds_bucket",
        endpoint="auth.login",
        method="GET",
        status="2xx",
        le="10.0",
    )
    assert slowest == value(after, REQUESTS, endpoint="auth.login", method="GET", status="2xx")


def test_an_unhandled_error_is_counted_once_as_a_500(app):
    def explode() -> str:
        raise RuntimeError("a bug in a view")

    app.add_url_rule("/tests/explode", "tests_explode", public(explode))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production, not raise into the test
    client = app.test_client()
    before = scrape(client)
    assert client.get("/tests/explode").status_code == 500
    after = scrape(client)
    assert added(before, after, "portal_http_unhandled_exceptions_total", endpoint="tests_explode") == 1
    assert added(before, after, REQUESTS, endpoint="tests_explode", method="GET", status="5xx") == 1


def test_metrics_are_off_without_a_token_and_refuse_a_missing_or_wrong_one(app_config):
    off = create_app(dict(app_config, PORTAL_METRICS_TOKEN=""))
    assert off.test_client().get("/metrics", headers=AUTHORIZED).status_code == 404

    on = create_app(dict(app_config, RATELIMIT_DEFAULT="5 per minute"))
    client = on.test_client()
    for headers in ({}, {"Authorization": "Bearer " + TOKEN[:-1] + "x"}, {"Authorization": f"Basic {TOKEN}"}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "portal_" not in refused.get_data(as_text=True)
    answers = [client.get("/metrics", headers=AUTHORIZED) for _ in range(20)]
    assert {response.status_code for response in answers} == {200}, "outside the rate limits"
    assert answers[0].mimetype == "text/plain"
    assert "Set-Cookie" not in answers[0].headers
    for app in (off, on):
        with app.app_context():
            db.engine.dispose()


def test_portal_check_names_a_short_metrics_token_in_production(tmp_path):
    from click.testing import CliRunner

    from portal.cli import main

    settings = {
        "PORTAL_INSTANCE_PATH": str(tmp_path),
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": "s" * 48,
        "PORTAL_BASE_URL": "https://portal.example.com",
        "PORTAL_METRICS_TOKEN": "guessable",
    }
    result = CliRunner().invoke(main, ["check"], env=settings)
    assert result.exit_code == 1
    assert "PORTAL_METRICS_TOKEN is 9 characters long; production needs at least 32" in result.output


def test_a_failing_job_counts_as_retried_then_failed_and_waits_until_then(app, client):
    before = scrape(client)
    with app.app_context():
        job_id = enqueue("tests.metrics_flaky", note="first")
        db.session.commit()  # runs (and fails) in-process when the app context ends
    retrying = scrape(client)
    with app.app_context():
        assert db.session.get(Job, job_id).status == "queued"
        assert run_job_now(job_id)
        assert db.session.get(Job, job_id).status == "failed"
    after = scrape(client)

    flaky = {"task": "tests.metrics_flaky"}
    assert added(before, retrying, "portal_jobs_run_total", **flaky) == 1
    assert added(before, retrying, "portal_jobs_retried_total", **flaky) == 1
    assert added(before, retrying, "portal_jobs_failed_total", **flaky) == 0
    assert value(retrying, "portal_jobs_waiting", **flaky) == 1
    assert added(before, after, "portal_jobs_run_total", **flaky) == 2
    assert added(before, after, "portal_jobs_failed_total", **flaky) == 1
    assert added(before, after, "portal_job_duration_seconds_count", **flaky) == 2
    assert value(after, "portal_jobs_waiting", **flaky) == 0


def test_mail_is_counted_as_sent_or_failed_by_transport(app, client):
    envelope = {
        "sender": "portal@example.com",
        "recipients": ["ann@example.com"],
        "message": "Subject: hi\r\n\r\nhi",
    }
    before = scrape(client)
    with app.app_context():
        enqueue("core.deliver_mail", message_id=f"<{uuid.uuid4().hex}@portal.local>", **envelope)
        db.session.commit()
    app.config["PORTAL_MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    with app.app_context():
        enqueue("core.deliver_mail", message_id=f"<{uuid.uuid4().hex}@portal.local>", **envelope)
        db.session.commit()
    after = scrape(client)
    assert added(before, after, "portal_mail_sent_total", transport="folder") == 1
    assert added(before, after, "portal_mail_failed_total", transport="smtp") == 1
    assert added(before, after, "portal_mail_sent_total", transport="smtp") == 0


@pytest.mark.plugins("example")
def test_a_tick_counts_its_scheduled_tasks_and_the_scrape_knows_their_last_success(app, client):
    before = scrape(client)
    started = time.time()
    with app.app_context():
        report = run_tick()
    after = scrape(client)
    assert "example.heartbeat" in report.ran
    assert added(before, after, "portal_scheduled_task_runs_total", task="example.heartbeat") == 1
    last = value(after, "portal_scheduled_task_last_success_timestamp_seconds", task="example.heartbeat")
    assert started - 1 <= last <= time.time() + 1


@pytest.mark.plugins("example")
def test_a_failing_event_handler_is_counted_for_its_plugin(app, client, monkeypatch):
    def refuse(event: object) -> None:
        raise RuntimeError("the notes ledger is offline")

    monkeypatch.setattr(event_log, "record", refuse)
    before = scrape(client)
    with app.app_context():
        note_added(7)
        db.session.commit()  # delivered (and refused) in-process when the app context ends
    after = scrape(client)
    assert added(before, after, "portal_event_handler_failures_total", plugin="example") == 1
    assert added(before, after, "portal_jobs_retried_total", task="core.deliver_event") == 1


# --- Under gunicorn: two sync workers, one count -----------------------------------------------------


@dataclass
class Gunicorn:
    """A gunicorn serving the portal; its access log names the worker (pid) that answered each request id."""

    port: int
    access_log: Path
    metrics_folder: Path

    def finish(self, held: socket.socket) -> tuple[int, str]:
        """Finish a held request and read the whole answer: status and body."""
        held.sendall(b"Connection: close\r\n\r\n")
        chunks = []
        while chunk := held.recv(65536):
            chunks.append(chunk)
        held.close()
        head, _blank, body = b"".join(chunks).partition(b"\r\n\r\n")
        return int(head.split()[1]), body.decode()

    def hold(self, path: str, request_id: str, headers: dict[str, str] | None = None) -> socket.socket:
        """Send a request without its last header line: the sync worker that takes it waits, busy."""
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", f"X-Request-ID: {request_id}"]
        lines += [f"{name}: {text}" for name, text in (headers or {}).items()]
        held = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        held.sendall(("\r\n".join(lines) + "\r\n").encode())
        return held

    def in_two_workers(
        self, path: str, request_ids: tuple[str, str], **headers: str
    ) -> list[tuple[int, str]]:
        """Two requests at once: while one is held, its sync worker is busy and the other takes the second."""
        held = [self.hold(path, request_id, headers) for request_id in request_ids]
        return [self.finish(each) for each in held]

    def workers_that_answered(self, prefix: str) -> set[str]:
        """The pids that answered the requests whose ids start with ``prefix``."""
        if not self.access_log.exists():
            return set()
        lines = self.access_log.read_text().splitlines()
        return {pid for pid, request_id in (line.split() for line in lines) if request_id.startswith(prefix)}


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """One gunicorn with two sync workers, metrics shared through a folder, on SQLite migrated by the CLI."""
    program = BIN / "gunicorn"
    if not program.exists():
        service_unavailable(f"gunicorn is not installed at {program}: pip install -e '.[test]'")
    root = tmp_path_factory.mktemp("gunicorn")
    env = {key: text for key, text in os.environ.items() if not key.startswith(("PORTAL_", "PROMETHEUS_"))}
    env.update(
        PORTAL_INSTANCE_PATH=str(root / "instance"),
        PORTAL_PLUGINS="",
        PORTAL_METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(root / "metrics"),  # gunicorn_conf makes it
    )
    migrated = subprocess.run(
        [str(BIN / "portal"), "migrate"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert migrated.returncode == 0, migrated.stderr
    server = Gunicorn(port=free_port(), access_log=root / "access.log", metrics_folder=root / "metrics")
    errors = (root / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            str(program),
            "--config=python:portal.gunicorn_conf",
            "--workers=2",
            "--worker-class=sync",
            "--graceful-timeout=3",
            "--no-control-socket",  # its default path is one per machine, shared by every gunicorn
            f"--bind=127.0.0.1:{server.port}",
            f"--access-logfile={server.access_log}",
            "--access-logformat=%(p)s %({x-request-id}i)s",
            "portal.wsgi:app",
        ],
        env=env,
        stdout=errors,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_ready(server, process, root / "gunicorn.log")
        yield server
    finally:
        process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: nothing is in flight any more
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors.close()


def _wait_until_ready(server: Gunicorn, process: subprocess.Popen, log: Path) -> None:
    """Until both workers answer: a worker still starting would leave the other to take every request."""
    deadline = time.monotonic() + 60
    probe = 0
    while len(server.workers_that_answered("ready-")) < 2:
        assert process.poll() is None, f"gunicorn stopped:\n{log.read_text()}"
        assert time.monotonic() < deadline, (
            f"gunicorn's two workers did not answer within 60 s:\n{log.read_text()}"
        )
        try:
            server.in_two_workers("/readyz", (f"ready-{probe}", f"ready-{probe + 1}"))
        except OSError:
            time.sleep(0.1)  # not listening yet
        probe += 2


def test_every_worker_reports_the_requests_of_all_workers(gunicorn):
    sent = 0
    while sent < 10 or len(gunicorn.workers_that_answered("count-")) < 2:
        assert sent < 40, "the held requests never reached the second worker"
        answers = gunicorn.in_two_workers("/healthz", (f"count-{sent}", f"count-{sent + 1}"))
        assert [status for status, _body in answers] == [200, 200]
        sent += 2
    assert len({path.name.rsplit("_", 1)[1] for path in gunicorn.metrics_folder.glob("histogram_*.db")}) == 2

    counts = []
    for round_number in range(3):
        ids = (f"scrape-{round_number}-a", f"scrape-{round_number}-b")
        for status, body in gunicorn.in_two_workers("/metrics", ids, Authorization=f"Bearer {TOKEN}"):
            assert status == 200
            counts.append(value(parse(body), REQUESTS, endpoint="health.healthz", method="GET", status="2xx"))
    assert len(gunicorn.workers_that_answered("scrape-")) == 2, "both workers answered scrapes"
    assert counts == [sent] * 6


def test_a_worker_refuses_a_scrape_without_the_token(gunicorn):
    status, body = gunicorn.finish(gunicorn.hold("/metrics", "no-token"))
    assert status == 401
    assert not re.search(r"portal_\w+", body)
