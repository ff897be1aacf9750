"""A plugin author's tests, outside this repository, get the portal's fixtures just by installing it.

The test writes a small test file into a temporary folder (no conftest.py, nothing of ours next to
it) and runs pytest on it in a new process, as an author would in their plugin's own checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

AUTHORS_TEST = """
import pytest
from portal.database import db
from portal_example_plugin.models import Note


@pytest.mark.plugins("example")
def test_a_customer_sees_only_their_own_notes(app, client, make_user, login_as):
    other = make_user("customer")
    with app.app_context():
        db.session.add(Note(user_id=other.id, body="Not yours"))
        db.session.commit()
    me = login_as("customer")
    with app.app_context():
        db.session.add(Note(user_id=me.id, body="Call me after five"))
        db.session.commit()
    page = client.get("/example/").get_data(as_text=True)
    assert "Call me after five" in page and "Not yours" not in page


def test_without_the_marker_the_plugin_is_off(client, login_as):
    login_as("customer")
    assert client.get("/example/").status_code == 404
"""


def test_fixtures_and_marker_work_in_a_plugins_own_test_folder(tmp_path: Path) -> None:
    (tmp_path / "test_notes.py").write_text(AUTHORS_TEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers", str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    backends = 2 if os.environ.get("PORTAL_TEST_DATABASE_URL") else 1
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{2 * backends} passed" in result.stdout
