"""The portal's pytest plugin: an app per test on its own database, on SQLite and PostgreSQL.

Installed with the portal (the ``pytest11`` entry point), so a plugin distribution's own tests get
``app``, ``client``, ``make_user``, ``login_as`` and the ``plugins`` marker without copying anything.

Every test that uses ``app`` runs once per database backend: SQLite always, PostgreSQL too when
PORTAL_TEST_DATABASE_URL is set. Each test gets a fresh database copied from a template that Alembic
migrated once per run, so the schema always comes from the migrations. With
PORTAL_TEST_REQUIRE_SERVICES=1 (as in CI) a service that cannot be reached fails the run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from portal import create_app
from portal.database import db
from portal.testing import TEST_PASSWORD, UserRecord, create_user, log_in
from portal.testing.database_reuse import TemplateState
from portal.testing.shared_compilation import (
    share_installed_plugins,
    share_route_builders,
    share_template_code,
)

if TYPE_CHECKING:
    import psycopg
    from rq import Queue

REQUIRE_SERVICES = os.environ.get("PORTAL_TEST_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "plugins(*names): enable exactly these portal plugins in the test app")
    share_route_builders()
    share_installed_plugins()
    if REQUIRE_SERVICES and not POSTGRES_URL:
        raise pytest.UsageError(
            "PORTAL_TEST_REQUIRE_SERVICES=1 but PORTAL_TEST_DATABASE_URL is not set: "
            "the PostgreSQL half of the suite would silently not run."
        )


def service_unavailable(message: str) -> None:
    """Skip on a developer's machine without the service; fail where services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def base_config(instance: Path, database_url: str, plugins: list[str]) -> dict[str, object]:
    """A test app's settings: its own instance folder and database, cheap hashing, no mail or Redis."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_PLUGINS": plugins,
        "PORTAL_SECRET_KEY": "test-secret-key-" + "x" * 40,
        "PORTAL_ARGON2_PROFILE": "CHEAPEST",
        "PORTAL_MAIL_URL": "",
        "PORTAL_REDIS_URL": "",
    }


def _admin_connection() -> psycopg.Connection:
    # psycopg and redis come with the postgres and redis extras: a plugin's own tests, run on SQLite
    # without them, still load this pytest plugin.
    import psycopg

    try:
        return psycopg_connect(POSTGRES_URL, autocommit=True)
    except psycopg.OperationalError as error:
        service_unavailable(f"PostgreSQL at PORTAL_TEST_DATABASE_URL cannot be reached: {error}")
        raise


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


class DatabaseTemplates:
    """Migrates one template database per backend per run, then hands out copies of it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.run_id = uuid.uuid4().hex[:10]
        self.built: dict[str, str] = {}
        self.template_state: TemplateState | None = None
        self.clean: list[str] = []  # PostgreSQL databases put back as the template left them

    def _migrate(self, url: str) -> None:
        app = create_app(base_config(self.root / "template-instance", url, []))
        with app.app_context():
            flask_migrate.upgrade(revision="heads")
            db.engine.dispose()

    def template_for(self, backend: str) -> str:
        if backend not in self.built:
            if backend == "sqlite":
                path = self.root / "template.sqlite3"
                self._migrate(f"sqlite:///{path}")
                self.built[backend] = str(path)
            else:
                name = f"portal_tmpl_{self.run_id}"
                with _admin_connection() as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                self._migrate(_postgres_url(name))
                with psycopg_connect(_postgres_url(name)) as conn:
                    self.template_state = TemplateState.read(conn)
                self.built[backend] = name
        return self.built[backend]

    def copy(self, backend: str, target_dir: Path) -> tuple[str, Callable[[], None]]:
        template = self.template_for(backend)
        if backend == "sqlite":
            path = target_dir / "portal.sqlite3"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}", lambda: None
        if self.clean:
            name = self.clean.pop()
        else:
            name = f"portal_test_{self.run_id}_{uuid.uuid4().hex[:8]}"
            with _admin_connection() as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return _postgres_url(name), lambda: self._put_back(name)

    def _put_back(self, name: str) -> None:
        """Keep the test's database for the next test, reset; drop it when it cannot be reset."""
        with _admin_connection() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        assert self.template_state is not None
        try:
            with psycopg_connect(_postgres_url(name)) as conn:
                reset = self.template_state.reset(conn)
        except Exception:  # whatever the test left behind, a dropped database is clean
            reset = False
        if reset:
            self.clean.append(name)
        else:
            _drop_database(name)

    def cleanup(self) -> None:
        for name in [*self.clean, self.built.get("postgresql")]:
            if name:
                _drop_database(name)


def psycopg_connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    """A plain psycopg connection to the database SQLAlchemy's ``url`` names."""
    import psycopg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(plain, autocommit=autocommit, connect_timeout=5)


def _drop_database(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseTemplates]:
    templates = DatabaseTemplates(tmp_path_factory.mktemp("db-templates"))
    yield templates
    templates.cleanup()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, database_templates: DatabaseTemplates, tmp_path: Path) -> Iterator[str]:
    url, drop = database_templates.copy(backend, tmp_path)
    yield url
    drop()


@pytest.fixture
def app_config(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> dict[str, object]:
    """The test app's settings; a test may change them before asking for ``app``."""
    marker = request.node.get_closest_marker("plugins")
    plugins = list(marker.args) if marker else []
    return base_config(tmp_path / "instance", database_url, plugins)


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    """A fresh portal app; ``@pytest.mark.plugins("name", …)`` chooses the enabled plugins."""
    application = create_app(dict(app_config))
    share_template_code(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., UserRecord]:
    """Create an account directly (confirmed by default) and return its id, email and password."""

    def make(role: str = "customer", **fields: Any) -> UserRecord:
        return create_user(app, role=role, **fields)

    return make


@pytest.fixture
def login_as(client: FlaskClient, make_user: Callable[..., UserRecord]) -> Callable[..., UserRecord]:
    """Create an account with ``role`` and sign the test client in through the real login form."""

    def login(role: str = "customer", **fields: object) -> UserRecord:
        user = make_user(role, **fields)
        log_in(client, user.email, TEST_PASSWORD)
        return user

    return login


@pytest.fixture
def second_worker(app: Flask, app_config: dict[str, object]) -> Iterator[Flask]:
    """Another worker process: its own app on the same database, sharing nothing in memory."""
    other = create_app(dict(app_config))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def redis_queue(app_config: dict[str, object]) -> Iterator[Queue]:
    """Send this test's jobs through the real Redis, on a queue of its own that is removed afterwards.

    Ask for it before ``app``, which reads the settings it changes.
    """
    import redis
    from rq import Queue

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as error:
        service_unavailable(f"Redis at {REDIS_URL} cannot be reached: {error}")
    name = f"portal-test-{uuid.uuid4().hex}"
    app_config.update(PORTAL_REDIS_URL=REDIS_URL, PORTAL_JOB_QUEUE=name, RATELIMIT_KEY_PREFIX=name)
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    yield Queue(name, connection=connection)
    signal.signal(signal.SIGINT, handlers[0])  # the worker installs its own; give pytest its back
    signal.signal(signal.SIGTERM, handlers[1])
    Queue(name, connection=connection).delete(delete_jobs=True)
    leftovers = list(connection.scan_iter(f"*{name}*"))
    if leftovers:
        connection.delete(*leftovers)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mail_in_port(app: Flask) -> Iterator[int]:
    """The portal's own SMTP receiver (``portal mail-in``) for ``app``, running in a thread on a free
    port: send to it with smtplib, as a mail server would. Yields the port."""
    from portal.mail_in.receiver import mail_receiver

    port = free_port()
    controller = mail_receiver(app, "127.0.0.1", port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
