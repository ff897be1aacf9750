"""Rows written with PostgreSQL's COPY, for ``portal seed``'s batches that nothing is read back from.

An INSERT of many rows through psycopg runs one statement a row on the server (pipelined, but each
parsed and executed alone); COPY streams the rows into the table in one command. Measured back to
back on one machine, 50,000 rows in batches of 5,000: ticket messages 30,000-34,000 rows a second by
INSERT and 58,000-74,000 by COPY; ledger entries (their totals trigger off, as the seed has it)
21,000 and 35,000. At ten million entries the table's ten indexes set the pace instead: 9,000 a second.

COPY knows nothing of SQLAlchemy, so what an INSERT would have added is added here: each column's
Python-side default for a key the rows leave out, and each value through its type's bind processor
(JSON to text, say). A default written as an SQL expression cannot be sent this way; such a table
is not offered (``can_copy``) and goes through INSERT.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table

Value = Callable[[dict[str, Any]], Any]


def can_copy(connection: Connection, table: Table, keys: Sequence[str]) -> bool:
    """Whether rows with ``keys`` can go into ``table`` by COPY: PostgreSQL, and every left-out
    column's default computable in Python or the server's own."""
    if connection.dialect.name != "postgresql":
        return False
    return all(
        column.default is None or _python_default(column)
        for column in table.columns
        if column.key not in keys
    )


def copy_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` (each with the same keys) into ``table`` with one COPY, on ``connection``'s
    transaction, so a caller's commit or rollback takes them as it would an INSERT's."""
    if not rows:
        return
    columns = [column for column in table.columns if column.key in rows[0] or _python_default(column)]
    values = [_value_of(connection, column, column.key in rows[0]) for column in columns]
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(column.name) for column in columns)
    command = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None, "a connection checked out of the pool has its driver's connection"
    with driver.cursor() as cursor, cursor.copy(command) as copy:
        for row in rows:
            copy.write_row([value(row) for value in values])


def _python_default(column: Column[Any]) -> bool:
    return column.default is not None and (column.default.is_scalar or column.default.is_callable)


def _value_of(connection: Connection, column: Column[Any], given: bool) -> Value:
    """How one column's value is found for a row: the row's own, else the column's default, then
    made into what the driver sends, as SQLAlchemy would for an INSERT."""
    process = column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    if given:
        key = column.key
        return (lambda row: process(row[key])) if process else (lambda row: row[key])
    default: Any = column.default
    produce = (lambda: default.arg(None)) if default.is_callable else (lambda: default.arg)
    return (lambda _row: process(produce())) if process else (lambda _row: produce())
