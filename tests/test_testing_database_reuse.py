"""A PostgreSQL test database handed to a second test is what a fresh copy of the template would be.

The suite puts a used database back instead of creating a new one for every test
(portal/testing/database_reuse.py); a test that read rows or ids a previous test left would pass or
fail by the order tests ran in, so this is what the reuse has to get right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.testing.fixtures import POSTGRES_URL, DatabaseTemplates, psycopg_connect, service_unavailable


def contents(url: str) -> dict[str, object]:
    """Every table's rows and every sequence's next value: what a test could observe."""
    with psycopg_connect(url) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        seen: dict[str, object] = {
            table: sorted(map(str, connection.execute(f'SELECT * FROM "{table}"').fetchall()))  # noqa: S608
            for table in tables
        }
        for name, value in connection.execute("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1"):
            seen[f"sequence {name}"] = value
        return seen


@pytest.fixture
def templates(database_templates: DatabaseTemplates) -> DatabaseTemplates:
    """The run's templates and the databases put back so far; PostgreSQL must be reachable."""
    if not POSTGRES_URL:
        service_unavailable("PORTAL_TEST_DATABASE_URL is not set: these tests are about PostgreSQL")
    return database_templates


def test_a_used_database_comes_back_as_the_template_left_it(
    templates: DatabaseTemplates, tmp_path: Path
) -> None:
    url, put_back = templates.copy("postgresql", tmp_path)
    fresh = contents(url)
    with psycopg_connect(url) as connection:
        connection.execute(
            "INSERT INTO portal_users (email, name, password_hash, role, language, timezone, session_token,"
            " created_at) SELECT 'x' || n || '@example.com', 'X', '', 'customer', 'en', 'UTC', 't' || n,"
            " now()"
            " FROM generate_series(1, 5) AS n"
        )
        connection.execute("DELETE FROM loyalty_earning_rules")
        connection.execute("UPDATE alembic_version SET version_num = version_num || 'x'")
    assert contents(url) != fresh
    put_back()

    again, put_back_again = templates.copy("postgresql", tmp_path)

    assert again == url, "the database was reused, not created anew"
    assert contents(again) == fresh
    put_back_again()


def test_a_database_whose_schema_a_test_changed_is_dropped(
    templates: DatabaseTemplates, tmp_path: Path
) -> None:
    url, put_back = templates.copy("postgresql", tmp_path)
    with psycopg_connect(url) as connection:
        connection.execute("ALTER TABLE portal_users ADD COLUMN nickname text")
    put_back()

    again, put_back_again = templates.copy("postgresql", tmp_path)

    assert again != url
    with psycopg_connect(again) as connection:
        columns = connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'portal_users'"
        ).fetchall()
    assert ("nickname",) not in columns
    put_back_again()
    with psycopg_connect(POSTGRES_URL) as connection:
        names = [row[0] for row in connection.execute("SELECT datname FROM pg_database")]
    assert url.rsplit("/", 1)[-1] not in names
