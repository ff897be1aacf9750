"""SQL the surveys plugin needs on both databases it runs on, written once.

A customer's choice, salt or invitation may be recorded by two requests (or two ticks) at once;
``insert_new_only`` lets the second find the first's row instead of failing on the unique key.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from portal.plugin import db


def insert_new_only(table: type) -> postgresql.Insert | sqlite.Insert:
    """INSERT … ON CONFLICT DO NOTHING: a row another request inserted first is left as it is."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"The surveys plugin runs on SQLite and PostgreSQL, not on {dialect}.")
