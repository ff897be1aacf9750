"""What ``gunicorn portal.wsgi:app`` gets besides the app: a start that stays out of the collector's way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import flask_migrate

from portal.app import create_app

ROOT = Path(__file__).resolve().parent.parent

FREEZE_REPORT = """
import gc
import portal.wsgi
tracked_after_start = len(gc.get_objects())
print(gc.get_freeze_count(), tracked_after_start)
"""


def test_the_objects_the_start_made_are_frozen_so_full_collections_stay_short(tmp_path: Path) -> None:
    """Each full collection walked the whole app (about 190,000 objects): a 120 ms stall of the worker
    about once in 500 requests, which showed in the benchmark's p99. Frozen, a collection walks only
    what requests made since."""
    database = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_DATABASE_URL": database})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
    environment = {
        **os.environ,
        "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORTAL_DATABASE_URL": database,
        "PORTAL_SECRET_KEY": "wsgi-test-" + "x" * 40,
        "PORTAL_MAIL_URL": "",
        "PORTAL_REDIS_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", FREEZE_REPORT], env=environment, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked = (int(number) for number in result.stdout.split())
    assert frozen > 100_000, "the app, plugins and locale data are frozen"
    assert tracked < frozen / 10, "and the collector watches only a little besides"
