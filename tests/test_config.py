"""Configuration: the embedded defaults, the order of precedence, and refusing unsafe production."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.config import ConfigError


def test_embedded_default_generates_and_keeps_a_secret_key(app_config, tmp_path):
    app_config.pop("PORTAL_SECRET_KEY")
    first = create_app(dict(app_config))
    second = create_app(dict(app_config))
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 32


def test_default_database_is_sqlite_in_instance(app_config, tmp_path):
    app_config.pop("PORTAL_DATABASE_URL")
    app = create_app(dict(app_config))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'portal.sqlite3'}"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    from portal.database import db
    from portal.testing.fixtures import base_config

    app = create_app(base_config(tmp_path / "instance", f"sqlite:///{tmp_path / 'wal.sqlite3'}", []))
    with app.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1


def test_instance_file_then_environment_then_overrides(app_config, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    (instance / "portal.cfg").write_text('PORTAL_NAME = "From File"\nPORTAL_MAIL_FROM = "file@example.com"\n')
    monkeypatch.setenv("PORTAL_MAIL_FROM", "env@example.com")
    monkeypatch.setenv("PORTAL_REMEMBER_DAYS", "7")
    app = create_app(dict(app_config))
    assert app.config["PORTAL_NAME"] == "From File"
    assert app.config["PORTAL_MAIL_FROM"] == "env@example.com"
    assert app.config["REMEMBER_COOKIE_DURATION"] == 7 * 86400
    app_config["PORTAL_MAIL_FROM"] = "override@example.com"
    assert create_app(dict(app_config)).config["PORTAL_MAIL_FROM"] == "override@example.com"


def test_postgres_urls_use_psycopg3(app_config):
    app_config["PORTAL_DATABASE_URL"] = "postgres://u@db.example/portal"
    from portal.config import normalise_database_url

    assert normalise_database_url("postgres://u@h/p") == "postgresql+psycopg://u@h/p"
    assert normalise_database_url("postgresql://u@h/p") == "postgresql+psycopg://u@h/p"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"


@pytest.mark.parametrize(
    ("secret", "debug", "message"),
    [
        (None, False, "PORTAL_SECRET_KEY is missing"),
        ("change-me", False, "well-known default"),
        ("too-short-but-random-1234", False, "at least 32"),
        ("x" * 48, True, "PORTAL_DEBUG is on in production"),
    ],
)
def test_production_refuses_unsafe_settings(app_config, secret, debug, message):
    app_config.update(PORTAL_ENV="production", PORTAL_SECRET_KEY=secret, PORTAL_DEBUG=debug)
    with pytest.raises(ConfigError, match=message):
        create_app(dict(app_config))


def test_production_starts_with_a_proper_secret(app_config):
    app_config.update(PORTAL_ENV="production", PORTAL_SECRET_KEY="k" * 48)
    assert create_app(dict(app_config)).config["SECRET_KEY"] == "k" * 48


def test_links_built_outside_a_request_use_the_public_base_url(app_config):
    from flask_babel import force_locale, gettext

    from portal.urls import external_url

    app_config["PORTAL_BASE_URL"] = "https://portal.example.com/help"
    app = create_app(dict(app_config))
    with app.app_context():
        assert external_url("auth.login") == "https://portal.example.com/help/login"
        assert gettext("Sign in") == "Sign in", "jobs translate in the default language"
        with force_locale("fa"):
            assert gettext("Sign in") != "Sign in"
    with app.test_request_context(base_url="http://localhost:8080"):
        assert external_url("auth.login") == "http://localhost:8080/login", "a request keeps its host"
