"""The production profile run for real: nginx in front of gunicorn, PostgreSQL, Redis with
``portal worker``, and S3-compatible storage (moto's server) whose downloads nginx fetches itself.

Every piece is the one deploy/ and docs/production.md describe: the nginx site file from
deploy/nginx/portal.conf filled in as an operator would, gunicorn with deploy/gunicorn.conf.py and two
sync workers, ``portal worker``, and the ``portal migrate`` and ``portal demo`` commands. A customer
then goes through nginx over HTTP with a cookie session and the forms' CSRF tokens. nginx runs as
whoever runs the tests, on a free port, with its prefix, pid file and logs in a temporary folder. One
stack serves the module. Without nginx the module is skipped, and with PORTAL_TEST_REQUIRE_SERVICES=1
(CI) it fails.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
import redis
import requests
from moto.server import ThreadedMotoServer
from sqlalchemy.engine import make_url

from portal import create_app
from portal.database import db
from portal.demo import DEMO_PASSWORD
from portal.testing.fixtures import (
    POSTGRES_URL,
    REDIS_URL,
    base_config,
    free_port,
    psycopg_connect,
    service_unavailable,
)

ROOT = Path(__file__).resolve().parents[1]
SITE_TEMPLATE = ROOT / "deploy" / "nginx" / "portal.conf"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
BIN = Path(sys.executable).parent
BUCKET = "portal-profile"
CUSTOMER = "david@example.com"
START_TIMEOUT = 60  # only reached on a machine far busier than it should be
WORKER_TIMEOUT = 10
# The access log shows which upstreams answered each request and how many body bytes each sent.
ACCESS_LOG_FORMAT = (
    'log_format journey \'$request_id $status "$request_method $uri" '
    'upstreams="$upstream_addr" lengths="$upstream_response_length"\';'
)
MAIN_CONFIG = """{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    {log_format}
    access_log {folder}/access.log journey;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/portal.conf;
}}
"""


def nginx_program() -> str:
    """Debian's nginx, or the test ends here: skipped on a laptop without it, failed in CI."""
    program = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(program, os.X_OK):
        service_unavailable("nginx (Debian's nginx package) is needed for the production profile journey")
    return program


def render_site(values: dict[str, str]) -> str:
    """deploy/nginx/portal.conf with its ${PORTAL_…} names filled in, as envsubst would."""
    text = SITE_TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    left = re.findall(r"\$\{[A-Z_]+\}", text)
    assert not left, f"the site template names {left} that the journey does not fill in"
    return text


@dataclass
class Stack:
    """The running profile: where nginx listens, and what the test reads behind it."""

    base_url: str
    app_address: str
    s3_address: str
    folder: Path
    instance: Path
    database_url: str
    s3: Any  # a boto3 S3 client on the same server, to read what the portal stored
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def access_log(self, request_id: str) -> str:
        """nginx's access log line for the request with this id, written just after the answer went out."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for line in (self.folder / "nginx" / "access.log").read_text().splitlines():
                if line.startswith(request_id + " "):
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no access log line for request {request_id}")

    def logs(self) -> str:
        """The end of every process's output and of nginx's error log, for a failure message."""
        paths = [*sorted(self.folder.glob("*.log")), self.folder / "nginx" / "error.log"]
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:] if path.exists() else '(none)'}"
            for path in paths
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """PostgreSQL, Redis, moto, gunicorn, ``portal worker`` and nginx, all stopped and removed after."""
    nginx = nginx_program()
    if not POSTGRES_URL:
        service_unavailable("the production profile needs PostgreSQL: set PORTAL_TEST_DATABASE_URL")
    folder = tmp_path_factory.mktemp("production-profile")
    with ExitStack() as cleanup:
        database_url = _create_database(cleanup)
        queue = _redis_namespace(cleanup)
        s3_endpoint, s3 = _object_storage(cleanup)
        nginx_port, app_port = free_port(), free_port()
        instance = folder / "instance"
        instance.mkdir()
        # Settings a Python file may carry but the environment cannot: this run's rate-limit keys.
        (instance / "portal.cfg").write_text(f"RATELIMIT_KEY_PREFIX = {queue!r}\n")
        settings: dict[str, object] = {
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": "production-profile-" + uuid.uuid4().hex * 2,
            "PORTAL_SECURE_COOKIES": False,  # TLS ends in front of nginx, out of this test's scope
            "PORTAL_BASE_URL": f"http://127.0.0.1:{nginx_port}",
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_REDIS_URL": REDIS_URL,
            "PORTAL_JOB_QUEUE": queue,
            "PORTAL_STORAGE_URL": f"s3://test:test@{BUCKET}/files?endpoint_url={s3_endpoint}&region=us-east-1",
            "PORTAL_STORAGE_ACCEL_REDIRECT": "/_s3/",
            "PORTAL_PROXY_HOPS": 1,
            "PORTAL_MAIL_URL": "",
            "PORTAL_ARGON2_PROFILE": "CHEAPEST",
        }
        _migrate_and_load_demo(instance, settings)
        environment = {
            **os.environ,
            "PORTAL_INSTANCE_PATH": str(instance),
            **{
                name: value if isinstance(value, str) else json.dumps(value)
                for name, value in settings.items()
            },
        }
        running = Stack(
            base_url=f"http://127.0.0.1:{nginx_port}",
            app_address=f"127.0.0.1:{app_port}",
            s3_address=s3_endpoint.removeprefix("http://"),
            folder=folder,
            instance=instance,
            database_url=database_url,
            s3=s3,
        )
        cleanup.callback(_stop_all, running)
        _start(
            running,
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(GUNICORN_CONFIG),
                "--bind",
                running.app_address,
                "--workers",
                "2",
                "portal.wsgi:app",
            ],
            environment,
        )
        _start(running, "worker", [str(BIN / "portal"), "worker"], environment)
        _start_nginx(running, nginx, nginx_port, s3_endpoint)
        _wait_until_serving(running)
        yield running


def _migrate_and_load_demo(instance: Path, settings: dict[str, object]) -> None:
    """``portal migrate`` and ``portal demo``, the commands themselves, in this process.

    Run through the app's CLI here rather than as two more programs: each would spend seconds
    importing the portal before doing a thing, and the module's time is better spent on the journey.
    """
    app = create_app({"INSTANCE_PATH": str(instance), **settings})
    runner = app.test_cli_runner()
    try:
        for command in ("migrate", "demo"):
            done = runner.invoke(args=[command])
            assert done.exit_code == 0, f"portal {command} failed: {done.output}{done.exception!r}"
    finally:
        with app.app_context():
            db.engine.dispose()


def _create_database(cleanup: ExitStack) -> str:
    name = f"portal_profile_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg_connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        service_unavailable(f"PostgreSQL at PORTAL_TEST_DATABASE_URL cannot be reached: {error}")

    def drop() -> None:
        with psycopg_connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    cleanup.callback(drop)
    return (
        make_url(POSTGRES_URL)
        .set(drivername="postgresql", database=name)
        .render_as_string(hide_password=False)
    )


def _redis_namespace(cleanup: ExitStack) -> str:
    """A queue name (and rate-limit prefix) of this run's own, with every key under it removed after."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as error:
        service_unavailable(f"Redis at {REDIS_URL} cannot be reached: {error}")
    name = f"portal-profile-{uuid.uuid4().hex}"

    def remove() -> None:
        leftovers = list(connection.scan_iter(f"*{name}*"))
        if leftovers:
            connection.delete(*leftovers)

    cleanup.callback(remove)
    return name


def _object_storage(cleanup: ExitStack) -> tuple[str, Any]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    cleanup.callback(server.stop)
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    return endpoint, client


def _start(stack: Stack, name: str, command: list[str], environment: dict[str, str]) -> None:
    log = (stack.folder / f"{name}.log").open("wb")
    stack.processes[name] = subprocess.Popen(
        command, env=environment, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()


def _start_nginx(stack: Stack, nginx: str, port: int, s3_endpoint: str) -> None:
    folder = stack.folder / "nginx"
    folder.mkdir()
    (folder / "portal.conf").write_text(
        render_site(
            {
                "PORTAL_LISTEN": f"127.0.0.1:{port}",
                "PORTAL_SERVER_NAME": "127.0.0.1",
                "PORTAL_APP_ADDRESS": stack.app_address,
                "PORTAL_APP_ROOT": str(ROOT),
                "PORTAL_FILES_ROOT": str(stack.instance / "files"),
                "PORTAL_S3_ENDPOINT": s3_endpoint,
            }
        )
    )
    # As root, nginx would hand its workers to "nobody"; they run as whoever runs the tests instead.
    user = f"user {getpass.getuser()};" if os.getuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        MAIN_CONFIG.format(user=user, folder=folder, log_format=ACCESS_LOG_FORMAT)
    )
    checked = subprocess.run(
        [nginx, "-t", "-p", str(folder), "-c", "nginx.conf"], capture_output=True, timeout=10
    )
    assert checked.returncode == 0, checked.stderr.decode(errors="replace")
    _start(
        stack, "nginx", [nginx, "-p", str(folder), "-c", "nginx.conf", "-g", "daemon off;"], dict(os.environ)
    )


def _wait_until_serving(stack: Stack) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for name, process in stack.processes.items():
            assert process.poll() is None, f"{name} stopped at start:\n{stack.logs()}"
        try:
            if requests.get(stack.base_url + "/healthz", timeout=START_TIMEOUT).status_code == 200:
                return
        except requests.ConnectionError:
            pass  # nginx is not listening yet
        time.sleep(0.1)
    raise AssertionError(f"the stack did not answer through nginx within {START_TIMEOUT} s:\n{stack.logs()}")


def _stop_all(stack: Stack) -> None:
    for name, process in stack.processes.items():
        if process.poll() is None:
            # gunicorn's quick shutdown: nothing is in flight that a graceful one would wait for.
            process.send_signal(signal.SIGINT if name == "gunicorn" else signal.SIGTERM)
    for process in stack.processes.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class FormReader(HTMLParser):
    """The fields of one page's POST form, with the values a browser would send untouched."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.fields: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._inside = values.get("method", "").lower() == "post" and values.get("action", "") in (
                self.action,
                "",
            )
        elif (
            self._inside
            and tag == "input"
            and values.get("name")
            and values.get("type") not in ("file", "submit")
        ):
            self.fields[values["name"]] = values.get("value", "")
        elif self._inside and tag == "select":
            self._select = values.get("name")
        elif (
            self._inside
            and tag == "option"
            and self._select
            and (self._select not in self.fields or "selected" in values)
        ):
            self.fields[self._select] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None


def form_fields(page: requests.Response, action: str) -> dict[str, str]:
    """What the page's form at ``action`` would send, CSRF token included."""
    reader = FormReader(action)
    reader.feed(page.text)
    assert "csrf_token" in reader.fields, f"no form posting to {action} on {page.url}"
    return reader.fields


def test_a_customer_goes_through_nginx_gunicorn_redis_and_s3(stack: Stack) -> None:
    browser = requests.Session()
    url = stack.base_url

    sign_in_page = browser.get(url + "/login", timeout=10)
    signed_in = browser.post(
        url + "/login",
        data={**form_fields(sign_in_page, "/login"), "email": CUSTOMER, "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, signed_in.text
    # nginx made the id ($request_id), the portal answered with it: their logs join up.
    request_id = signed_in.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert stack.access_log(request_id).startswith(f"{request_id} 302 ")

    ticket_id, opened_by = _open_ticket(browser, url)
    # The web process only queued the confirmation; the worker wrote it, under the request's id.
    confirmation = _wait_for_mail(stack, CUSTOMER, f"We have your request #{ticket_id}")
    assert f"/tickets/{ticket_id}" in confirmation.get_body(preferencelist=("plain",)).get_content()
    assert _statuses_of_jobs_once_settled(stack, opened_by) == {"done"}

    document_id, key = _customer_invoice(stack)
    stored = stack.s3.get_object(Bucket=BUCKET, Key=f"files/{key}")["Body"].read()
    download = browser.get(f"{url}/documents/{document_id}/download", timeout=10)
    assert download.status_code == 200
    assert download.content == stored == b"Invoice 2026-001\n\nYour invoice for November.\n"
    assert download.headers["Content-Disposition"] == 'attachment; filename="Invoice 2026-001.txt"'
    assert download.headers["Content-Type"].startswith("text/plain")
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download.headers["Cache-Control"] == "private, no-cache"
    line = stack.access_log(download.headers["X-Request-ID"])
    # Two upstreams answered: the portal with an empty body, then the object storage with the bytes.
    assert f'upstreams="{stack.app_address} : {stack.s3_address}"' in line, line
    assert f'lengths="0 : {len(stored)}"' in line, line
    resumed = browser.get(
        f"{url}/documents/{document_id}/download", headers={"Range": "bytes=0-6"}, timeout=10
    )
    assert (resumed.status_code, resumed.content) == (206, b"Invoice")
    assert resumed.headers["Content-Range"] == f"bytes 0-6/{len(stored)}"

    stylesheet = browser.get(url + "/static/portal.css", timeout=10)
    plugin_stylesheet = browser.get(url + "/tickets/static/tickets.css", timeout=10)
    assert stylesheet.content == (ROOT / "static" / "portal.css").read_bytes()
    assert plugin_stylesheet.content == (ROOT / "plugins" / "tickets" / "static" / "tickets.css").read_bytes()
    assert (
        stylesheet.headers["Cache-Control"]
        == plugin_stylesheet.headers["Cache-Control"]
        == "public, max-age=86400"
    )
    assert "X-Request-ID" not in stylesheet.headers  # nginx served it; gunicorn never saw it

    ready = browser.get(url + "/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "storage": "ok"}


def _open_ticket(browser: requests.Session, url: str) -> tuple[int, str]:
    """Open a ticket through the real form, past the "check these first" step if it shows.

    Answers the ticket's number and the id of the request that opened it.
    """
    page = browser.get(url + "/tickets/new", timeout=10)
    fields = {
        **form_fields(page, "/tickets/new"),
        "subject": "Printer on fire",
        "body": "It smokes when printing.",
    }
    for _attempt in range(2):
        answer = browser.post(
            url + "/tickets/new",
            files={name: (None, value) for name, value in fields.items()},
            allow_redirects=False,
            timeout=10,
        )
        if answer.status_code == 302:
            opened = re.fullmatch(r"/tickets/(\d+)", answer.headers["Location"].removeprefix(url))
            assert opened, answer.headers["Location"]
            return int(opened.group(1)), answer.headers["X-Request-ID"]
        assert answer.status_code == 200, answer.text
        fields = form_fields(answer, "/tickets/new")
    raise AssertionError(f"the new-ticket form did not open a ticket:\n{answer.text[:2000]}")


def _wait_for_mail(stack: Stack, recipient: str, subject_start: str) -> EmailMessage:
    """The mail to ``recipient`` whose subject starts so, once ``portal worker`` has written it."""
    deadline = time.monotonic() + WORKER_TIMEOUT
    folder = stack.instance / "mail"
    while time.monotonic() < deadline:
        for path in folder.glob("*.eml"):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if str(message["Subject"]).startswith(subject_start) and recipient in str(message["To"]):
                return message  # policy.default parses into an EmailMessage
        time.sleep(0.1)
    raise AssertionError(
        f"the worker wrote no mail {subject_start!r} within {WORKER_TIMEOUT} s:\n{stack.logs()}"
    )


def _statuses_of_jobs_once_settled(stack: Stack, request_id: str) -> set[str]:
    """The statuses of the jobs the request queued (and those jobs queued), once none is left to run."""
    deadline = time.monotonic() + WORKER_TIMEOUT
    with psycopg.connect(stack.database_url, autocommit=True) as connection:
        while True:
            rows = connection.execute("SELECT status FROM portal_jobs WHERE request_id = %s", (request_id,))
            statuses = {status for (status,) in rows}
            if (statuses and not statuses & {"queued", "running"}) or time.monotonic() > deadline:
                return statuses
            time.sleep(0.1)


def _customer_invoice(stack: Stack) -> tuple[int, str]:
    with psycopg.connect(stack.database_url) as connection:
        row = connection.execute(
            "SELECT d.id, v.storage_key FROM documents_documents d "
            "JOIN documents_versions v ON v.document_id = d.id "
            "JOIN portal_users u ON u.id = d.audience_customer_id "
            "WHERE u.email = %s AND d.title = 'Invoice 2026-001'",
            (CUSTOMER,),
        ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def test_the_site_file_serves_every_plugin_folder_and_the_upload_limit(tmp_path: Path) -> None:
    # Needs no nginx: the shipped file must keep up with the built-in plugins' static folders and
    # with the portal's upload limit. (A third-party plugin's folder is the operator's to add.)
    app = create_app(base_config(tmp_path / "instance", f"sqlite:///{tmp_path / 'portal.sqlite3'}", []))
    site = SITE_TEMPLATE.read_text()
    megabytes = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    built_in = [
        blueprint
        for blueprint in app.blueprints.values()
        if blueprint.static_folder and Path(blueprint.static_folder).is_relative_to(ROOT / "plugins")
    ]

    assert f"client_max_body_size {megabytes}m;" in site
    assert len(built_in) >= 5
    for blueprint in built_in:
        folder = Path(str(blueprint.static_folder)).relative_to(ROOT)
        assert (
            f"location ^~ {blueprint.url_prefix}/static/ {{\n        alias ${{PORTAL_APP_ROOT}}/{folder}/;"
            in site
        )
