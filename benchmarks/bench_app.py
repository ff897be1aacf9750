"""What every benchmark starts from: a portal with only the plugins it measures, on a migrated database.

A benchmark that builds its own application drifts from the others (a setting left on, mail trying to
connect) and then measures something else; this is the one place that says how they are built.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere, no install

import flask_migrate  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

from portal.app import create_app  # noqa: E402
from portal.database import db  # noqa: E402


def migrated_app(plugins: list[str], database_url: str, prefix: str) -> Flask:
    """A portal for timing: cheap password hashing, no mail or Redis, every migration applied.

    ``database_url`` empty means a new SQLite file in a temporary folder; otherwise it must name an
    empty database, so that seeded figures are the only data measured.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(folder),
            "PORTAL_DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.sqlite3'}",
            "PORTAL_PLUGINS": plugins,
            "PORTAL_SECRET_KEY": "benchmark-secret-" + "x" * 40,
            "PORTAL_ARGON2_PROFILE": "CHEAPEST",
            "PORTAL_MAIL_URL": "",
            "PORTAL_REDIS_URL": "",
        }
    )
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
    return app


def timed_requests(app: Flask, client: FlaskClient, urls: list[str]) -> tuple[list[float], set[int]]:
    """Milliseconds per request and the distinct numbers of SQL statements the requests ran.

    A page whose statement count differs between two sizes of data has a query inside a loop; the
    benchmarks print the set so that shows at a glance. Any answer but 200 stops the run.
    """
    with app.app_context():
        engine = db.engine
    counts: set[int] = set()
    times: list[float] = []
    for url in urls:
        seen: list[str] = []

        def record(*_args: object, seen: list[str] = seen) -> None:
            seen.append("statement")

        event.listen(engine, "before_cursor_execute", record)
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        event.remove(engine, "before_cursor_execute", record)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        counts.add(len(seen))
    return times, counts
