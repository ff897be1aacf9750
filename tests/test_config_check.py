"""``portal check`` as an operator runs it: the real command, real settings, a real database and servers."""

from __future__ import annotations

from click.testing import CliRunner
from test_mail_smtp import running_smtp_server

from portal.cli import main
from portal.testing.fixtures import free_port

SECRET = "a-long-random-secret-for-production-" + "x" * 20


def check(tmp_path, **settings: str):
    env = {"PORTAL_INSTANCE_PATH": str(tmp_path / "instance")} | settings
    return CliRunner().invoke(main, ["check"], env=env)


def test_every_problem_of_the_settings_is_listed_at_once(tmp_path):
    result = check(
        tmp_path,
        PORTAL_ENV="production",
        PORTAL_SECRET_KEY="dev",
        PORTAL_DEBUG="true",
        PORTAL_MAIL_URL="mail.example.com",
        PORTAL_PLUGINS="tickets,tikets",
        PORTAL_LANGUAGES="en,de",
        PORTAL_DEFAULT_LANGUAGE="fr",
        PORTAL_DEFAULT_TIMEZONE="Europe/Atlantis",
        PORTAL_PROXY_HOPS="-1",
        PORTAL_BASE_URL="http://portal.example.com",
        PORTAL_SECURE_COOKIES="false",
    )
    assert result.exit_code == 1
    for setting in (
        "PORTAL_SECRET_KEY is missing or a well-known default",
        "PORTAL_DEBUG is on in production",
        "PORTAL_MAIL_URL must start with smtp://",
        "PORTAL_PLUGINS: names plugins that are not installed: tikets",
        "PORTAL_LANGUAGES: 'de' has no translation",
        "PORTAL_DEFAULT_LANGUAGE: 'fr' is not one of PORTAL_LANGUAGES",
        "PORTAL_DEFAULT_TIMEZONE: 'Europe/Atlantis' is not a time zone",
        "PORTAL_PROXY_HOPS: must be a whole number of at least 0, not -1",
        "PORTAL_BASE_URL: is 'http://portal.example.com'",
        "PORTAL_SECURE_COOKIES: is off in production",
    ):
        assert setting in result.output, result.output
    assert "10 problem(s) to fix" in result.output


def test_a_sound_deployment_with_its_services_answering_passes(tmp_path, database_url):
    with running_smtp_server() as smtp:
        result = check(
            tmp_path,
            PORTAL_ENV="production",
            PORTAL_SECRET_KEY=SECRET,
            PORTAL_BASE_URL="https://portal.example.com",
            PORTAL_DATABASE_URL=database_url,
            PORTAL_MAIL_URL=smtp.url,
        )
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output


def test_services_that_do_not_answer_and_missing_migrations_are_each_named(tmp_path):
    closed = free_port()
    result = check(
        tmp_path,
        PORTAL_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        PORTAL_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        PORTAL_MAIL_URL=f"smtp://127.0.0.1:{closed}",
    )
    assert result.exit_code == 1
    assert "PORTAL_DATABASE_URL: the database lacks migrations" in result.output
    assert "run 'portal migrate'" in result.output
    assert "PORTAL_REDIS_URL: Redis at redis://127.0.0.1" in result.output
    assert f"PORTAL_MAIL_URL: the mail server at 127.0.0.1:{closed} does not answer" in result.output
    assert "3 problem(s) to fix" in result.output


def test_a_database_that_cannot_be_reached_is_named_with_its_setting(tmp_path):
    result = check(tmp_path, PORTAL_DATABASE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/portal")
    assert result.exit_code == 1
    assert "PORTAL_DATABASE_URL: The database at postgresql://nobody@127.0.0.1" in result.output
    assert "check PORTAL_DATABASE_URL" in result.output
