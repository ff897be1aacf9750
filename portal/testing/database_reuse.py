"""Put a used PostgreSQL test database back as the template left it, so the next test can have it.

Creating a database from the template costs about 0.7 s of the server's time (PostgreSQL 15 writes
the whole copy into its WAL) and dropping one forces a checkpoint; with two thousand PostgreSQL tests
that was a third of the suite. Emptying the tables, putting back the template's few rows and setting
the sequences where the template had them takes a few milliseconds and gives the next test the same
database a fresh copy would: the same rows, the same next ids.

Only the data is put back. A test that changed the schema (a migration run down and up, a plugin's
tables added) leaves a database whose shape no longer matches the template's: ``TemplateState.reset``
says so and the caller drops that database instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

# Everything a test could change about the schema, as one digest: relations and their columns in
# order, constraints, triggers, functions, types and schemas outside PostgreSQL's own.
_SHAPE = """
SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
  SELECT 'r:' || n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' || coalesce((
      SELECT string_agg(a.attnum || a.attname || a.atttypid || a.attnotnull, ';' ORDER BY a.attnum)
      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS item
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      AND n.nspname NOT LIKE 'pg_temp%'
  UNION ALL SELECT 'c:' || conrelid::regclass || '.' || conname || ':' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace NOT IN (SELECT oid FROM pg_namespace
      WHERE nspname IN ('pg_catalog', 'information_schema'))
  UNION ALL SELECT 't:' || tgrelid::regclass || '.' || tgname FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'f:' || p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL SELECT 'y:' || t.oid::regtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      AND t.typtype IN ('e', 'd', 'r', 'm')
  UNION ALL SELECT 'n:' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_temp%'
    AND nspname NOT LIKE 'pg_toast_temp%'
) AS shape
"""

_TABLES = """
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
"""

_SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, start_value), last_value IS NOT NULL
FROM pg_sequences ORDER BY 1
"""


@dataclass(frozen=True)
class TemplateState:
    """What a fresh copy of the template holds: its shape, and the statements that restore its data."""

    shape: str
    restore: str

    @classmethod
    def read(cls, connection: psycopg.Connection) -> TemplateState:
        """The state of the database ``connection`` is on, read once just after migrating it."""
        from psycopg import sql

        shape = connection.execute(_SHAPE).fetchone()[0]  # type: ignore[index]
        tables = [name for (name,) in connection.execute(_TABLES)]
        statements: list[sql.Composable] = [sql.SQL("SET LOCAL session_replication_role = replica")]
        # Foreign keys are triggers, which the replica role leaves unfired, so the order is free.
        statements += [sql.SQL("DELETE FROM {}").format(sql.SQL(name)) for name in tables]
        for name in tables:
            rows = connection.execute(
                sql.SQL("SELECT json_agg(t) FROM {} AS t").format(sql.SQL(name))
            ).fetchone()[0]  # type: ignore[index]
            if rows:
                statements.append(
                    sql.SQL("INSERT INTO {0} SELECT * FROM json_populate_recordset(NULL::{0}, {1})").format(
                        sql.SQL(name), sql.Literal(json.dumps(rows))
                    )
                )
        for name, value, called in connection.execute(_SEQUENCES):
            statements.append(
                sql.SQL("SELECT setval({}, {}, {})").format(
                    sql.Literal(name), sql.Literal(value), sql.Literal(called)
                )
            )
        restore = "; ".join(statement.as_string(connection) for statement in statements)
        return cls(shape=shape, restore=restore)

    def reset(self, connection: psycopg.Connection) -> bool:
        """Put the data back as the template had it; False, changing nothing, if the shape differs."""
        if connection.execute(_SHAPE).fetchone()[0] != self.shape:  # type: ignore[index]
            return False
        with connection.transaction():
            connection.execute(self.restore.encode())
        return True
