"""When Redis or the database cannot be reached: customers can still sign in, or see a page that says
so, and the server commands stop at once with one line that names what to fix.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from portal import create_app
from portal.cli import main
from portal.testing import TEST_PASSWORD, log_in, post_form
from portal.testing.fixtures import base_config

CLOSED_REDIS = "redis://127.0.0.1:1/0"
CLOSED_DATABASE = "postgresql://postgres:s3cret-word@127.0.0.1:1/none"
PROJECT = Path(__file__).resolve().parents[2]


# --- Redis unreachable ----------------------------------------------------------------------------


@pytest.fixture
def redis_down(app_config: dict[str, object]) -> dict[str, object]:
    """The app's Redis points at a port nobody listens on: what a stopped Redis looks like."""
    app_config["PORTAL_REDIS_URL"] = CLOSED_REDIS
    return app_config


def test_with_redis_down_sign_up_sign_in_and_forgot_password_still_work(
    redis_down, app, client, make_user, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    user = make_user()

    signed_up = post_form(
        client, "/register", {"name": "New", "email": "new@example.com", "password": TEST_PASSWORD}
    )
    assert signed_up.status_code == 302
    log_in(client, user.email, TEST_PASSWORD)
    assert client.get("/dashboard").status_code == 200
    post_form(client, "/logout", {})
    forgot = post_form(client, "/forgot-password", {"email": user.email})
    assert forgot.status_code == 200
    assert "falling back to in-memory storage" in caplog.text


def test_with_redis_down_failed_sign_ins_are_still_limited(redis_down, app, client, make_user):
    user = make_user()
    answers = [
        post_form(client, "/login", {"email": user.email, "password": "not my password"}).status_code
        for _attempt in range(6)
    ]
    assert answers == [200] * 5 + [429]


@pytest.mark.parametrize("command", [["worker", "--burst"], ["tick"]])
def test_with_redis_down_worker_and_tick_say_so_in_one_line(redis_down, app, command):
    result = app.test_cli_runner().invoke(args=command)

    assert result.exit_code != 0
    line = result.output.strip()
    assert "\n" not in line, result.output
    assert f"Redis at {CLOSED_REDIS} cannot be reached:" in line
    assert "check PORTAL_REDIS_URL" in line
    assert "Traceback" not in result.output


# --- the database unreachable ---------------------------------------------------------------------


def _database_down_app(tmp_path: Path, secret_key: object) -> Flask:
    config = base_config(tmp_path / "down-instance", CLOSED_DATABASE, [])
    config["PORTAL_SECRET_KEY"] = secret_key
    return create_app(config)


def _assert_one_clear_line(text: str) -> None:
    line = text.strip()
    assert "\n" not in line, text
    assert "The database at postgresql://postgres:***@127.0.0.1:1/none cannot be reached:" in line
    assert "check PORTAL_DATABASE_URL" in line
    assert "s3cret-word" not in text, "the password is never printed"


@pytest.mark.parametrize("command", [["run"], ["worker", "--burst"], ["tick"]])
def test_server_commands_stop_at_once_when_the_database_is_down(tmp_path, command):
    environment = {
        "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORTAL_DATABASE_URL": CLOSED_DATABASE,
        "PORTAL_PLUGINS": "",
        "PORTAL_REDIS_URL": "",
    }
    result = CliRunner().invoke(main, command, env=environment)

    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    _assert_one_clear_line(result.output)


def test_the_wsgi_entry_point_refuses_to_start_when_the_database_is_down(tmp_path):
    environment = {
        **os.environ,
        "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORTAL_DATABASE_URL": CLOSED_DATABASE,
        "PORTAL_PLUGINS": "",
        "PORTAL_REDIS_URL": "",
    }
    started = subprocess.run(
        [sys.executable, "-c", "import portal.wsgi"],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert started.returncode != 0
    assert "Traceback" not in started.stderr, started.stderr
    _assert_one_clear_line(started.stderr)


def test_a_signed_in_page_shows_the_static_page_when_the_database_goes_down(app, client, make_user, tmp_path):
    user = make_user()
    log_in(client, user.email, TEST_PASSWORD)
    down = _database_down_app(tmp_path, app.config["PORTAL_SECRET_KEY"]).test_client()
    session_cookie = client.get_cookie("session")
    assert session_cookie is not None
    down.set_cookie("session", session_cookie.value)

    for path in ("/dashboard", "/account/", "/login"):
        response = down.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 503, (path, page)
        assert response.mimetype == "text/html"
        assert "cannot reach its database" in page
        assert response.headers["Retry-After"]
        assert "Internal Server Error" not in page


def test_a_post_while_the_database_is_down_gets_the_static_page_too(app, tmp_path):
    down = _database_down_app(tmp_path, app.config["PORTAL_SECRET_KEY"]).test_client()
    response = down.post("/login", data={"email": "a@example.com", "password": "whatever it is"})
    assert response.status_code in (400, 503)
    assert "Internal Server Error" not in response.get_data(as_text=True)
