"""The portal command: first administrator, roles, and demo data that can be loaded twice."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.database import db
from portal.demo import DEMO_PASSWORD
from portal.testing import log_in


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_admin_then_sign_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--email", "Boss@Example.com", "--name", "Boss"],
        input="a long admin password\na long admin password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Administrator boss@example.com created." in result.output
    log_in(client, "boss@example.com", "a long admin password")
    assert client.get("/staff/plugins").status_code == 200


def test_create_admin_refuses_short_password_and_existing_email(app, make_user):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["create-admin", "--email", "a@example.com", "--name", "A"], input="short\nshort\n"
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    existing = make_user(email="b@example.com")
    again = runner.invoke(
        args=["create-admin", "--email", existing.email, "--name", "B"],
        input="long enough password\nlong enough password\n",
    )
    assert again.exit_code != 0 and "already has an account" in again.output
    assert _count(app, User) == 1


def test_set_role_records_an_audit_event(app, make_user):
    user = make_user()
    result = app.test_cli_runner().invoke(args=["users", "set-role", user.email, "agent"])
    assert "is now agent (was customer)" in result.output
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "role_changed")).one()
        assert event.detail == {"user_id": user.id, "role": "agent", "previous": "customer", "via": "cli"}


def test_set_role_for_unknown_email_fails_clearly(app):
    result = app.test_cli_runner().invoke(args=["users", "set-role", "ghost@example.com", "admin"])
    assert result.exit_code != 0
    assert "No account has the address ghost@example.com" in result.output


def test_demo_data_loads_twice_without_duplicates(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@example.com" in first.output and DEMO_PASSWORD in first.output
    count = _count(app, User)
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _count(app, User) == count == 5
    log_in(client, "sara@example.com", DEMO_PASSWORD)
    assert client.get("/dashboard").status_code == 200


def test_demo_prints_the_configured_address(app):
    app.config["PORTAL_BASE_URL"] = "https://portal.example.org/help"
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Sign in at https://portal.example.org/help with:" in result.output
    assert "127.0.0.1" not in result.output


def test_demo_on_an_empty_database_says_to_migrate(tmp_path):
    from portal import create_app
    from portal.testing.fixtures import base_config

    app = create_app(base_config(tmp_path / "instance", f"sqlite:///{tmp_path / 'empty.sqlite3'}", []))
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "Run 'portal migrate' first." in result.output


def test_migrate_brings_an_empty_database_up_to_every_head(tmp_path):
    from sqlalchemy import inspect

    from portal import create_app
    from portal.testing.fixtures import base_config

    app = create_app(base_config(tmp_path / "instance", f"sqlite:///{tmp_path / 'fresh.sqlite3'}", []))
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
