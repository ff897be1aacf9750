"""A consistent snapshot of the database, and putting one back, in each backend's own format.

SQLite is copied with its online backup API and PostgreSQL with ``pg_dump --format=custom``; a restore
goes back into the same kind of database. A dialect-neutral dump (rows through SQLAlchemy) would let
a backup move from SQLite to PostgreSQL, but it would have to rebuild what only the backend knows:
sequences, the help center's FTS5 table and triggers, PostgreSQL's GIN expression indexes, and the
exact types of every column. The native formats copy all of it, byte for byte, with tools that have
been restoring databases for decades; moving between backends is a migration, not a restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import Engine

from portal.backup.archive import DATABASE_MEMBERS

MIGRATIONS_TABLE = "alembic_version"
# Named in the error when pg_dump or pg_restore is missing: Debian's and Ubuntu's package of them.
POSTGRES_CLIENT_PACKAGE = "postgresql-client"
SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"


class DatabaseBackupError(RuntimeError):
    """The database could not be copied or put back; the message says why and what to do."""


@dataclass(frozen=True)
class DatabaseSnapshot:
    """What the snapshot holds: the migration heads it is at and the rows in each table."""

    migration_heads: list[str]
    row_counts: dict[str, int]


def backend_of(engine: Engine) -> str:
    """``sqlite`` or ``postgresql``: the backends a backup can be made of."""
    if engine.dialect.name not in DATABASE_MEMBERS:
        raise DatabaseBackupError(f"Backups support SQLite and PostgreSQL, not {engine.dialect.name}.")
    return engine.dialect.name


def snapshot_database(engine: Engine, into: Path) -> DatabaseSnapshot:
    """Write a consistent copy of the running database to ``into`` and describe it.

    Consistent means one moment's state: every table as of the same transaction, while the portal
    goes on serving. The row counts and heads are read from that same moment.
    """
    if backend_of(engine) == "sqlite":
        return _snapshot_sqlite(engine, into)
    return _snapshot_postgresql(engine, into)


def _snapshot_sqlite(engine: Engine, into: Path) -> DatabaseSnapshot:
    source = engine.raw_connection()
    try:
        with closing(sqlite3.connect(into)) as copy:
            # One step: the copy is read in a single read transaction, so writers (WAL) go on and
            # the copy is exactly one moment's database.
            source.driver_connection.backup(copy)  # type: ignore[union-attr]
            copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal beside it
            return _describe_sqlite_file(copy)
    finally:
        source.close()


def _describe_sqlite_file(connection: sqlite3.Connection) -> DatabaseSnapshot:
    tables = sorted(name for (name,) in connection.execute(SQLITE_TABLES))
    # Table names come from sqlite_master and are quoted as identifiers: nothing a person typed.
    counts = {
        name: connection.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone()[0]  # noqa: S608
        for name in tables
    }
    heads = (
        sorted(head for (head,) in connection.execute("SELECT version_num FROM alembic_version"))
        if MIGRATIONS_TABLE in tables
        else []
    )
    return DatabaseSnapshot(heads, counts)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _snapshot_postgresql(engine: Engine, into: Path) -> DatabaseSnapshot:
    pg_dump = client_program("pg_dump")
    dbname, environment = _libpq_target(engine)
    with engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # pg_dump reads the very snapshot this transaction holds, so the counts below describe
            # exactly the rows it dumps.
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={into}",
                    f"--dbname={dbname}",
                ],
                environment,
            )
            return DatabaseSnapshot(migration_heads(connection), row_counts(connection))


def row_counts(connection: Connection) -> dict[str, int]:
    """Rows in every table of the database, by table name."""
    preparer = connection.dialect.identifier_preparer
    # Table names come from the database's catalogue and are quoted as identifiers.
    return {
        name: int(connection.scalar(text(f"SELECT count(*) FROM {preparer.quote(name)}")) or 0)  # noqa: S608
        for name in sorted(inspect(connection).get_table_names())
    }


def migration_heads(connection: Connection) -> list[str]:
    """The Alembic revisions the database is at; none for a database never migrated."""
    if not inspect(connection).has_table(MIGRATIONS_TABLE):
        return []
    return sorted(connection.scalars(text("SELECT version_num FROM alembic_version")))


def staging_folder(engine: Engine) -> Path:
    """Where a snapshot waits before it is restored: beside a SQLite file, so the last step is a rename."""
    if backend_of(engine) == "sqlite":
        target = _sqlite_file(engine)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.parent
    return Path(tempfile.gettempdir())


def _sqlite_file(engine: Engine) -> Path:
    if not engine.url.database or engine.url.database == ":memory:":
        raise DatabaseBackupError("The configured SQLite database is not a file; nothing to restore into.")
    return Path(engine.url.database)


def restore_database(engine: Engine, staged: Path, expected_counts: dict[str, int]) -> None:
    """Replace the database with the snapshot in ``staged``, as one step where the backend allows.

    SQLite: the staged file (in ``staging_folder``) is checked and renamed over the database file.
    PostgreSQL: ``pg_restore`` in a single transaction, so a failure leaves the database as it was.
    Either way the restored rows are counted against the manifest.
    """
    engine.dispose()
    if backend_of(engine) == "sqlite":
        _restore_sqlite(_sqlite_file(engine), staged, expected_counts)
    else:
        _restore_postgresql(engine, staged, expected_counts)
    engine.dispose()


def _restore_sqlite(target: Path, staged: Path, expected_counts: dict[str, int]) -> None:
    with closing(sqlite3.connect(staged)) as copy:
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise DatabaseBackupError(
                f"The database in the archive fails SQLite's integrity check: {verdict}"
            )
        _check_counts(_describe_sqlite_file(copy).row_counts, expected_counts)
    if target.exists():
        with closing(sqlite3.connect(target)) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(staged, target)
    for leftover in ("-wal", "-shm"):  # the old file's; the restored one starts without them
        Path(f"{target}{leftover}").unlink(missing_ok=True)


def _restore_postgresql(engine: Engine, staged: Path, expected_counts: dict[str, int]) -> None:
    pg_restore = client_program("pg_restore")
    dbname, environment = _libpq_target(engine)
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            # The roles a GRANT names may not exist on a new machine; the portal's own role owns all.
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={dbname}",
            str(staged),
        ],
        environment,
    )
    with engine.connect() as connection:
        _check_counts(row_counts(connection), expected_counts)


def _check_counts(found: dict[str, int], expected: dict[str, int]) -> None:
    differ = sorted(name for name in expected if found.get(name) != expected[name])
    if differ:
        raise DatabaseBackupError(
            "The restored database does not hold the rows the manifest lists, in: " + ", ".join(differ)
        )


def client_program(name: str) -> str:
    """The path of a PostgreSQL client program; its absence is an error that names the package."""
    found = shutil.which(name)
    if found is None:
        raise DatabaseBackupError(
            f"{name} is not installed or not on PATH. Install the PostgreSQL client tools "
            f"(Debian and Ubuntu: apt install {POSTGRES_CLIENT_PACKAGE}), of the server's major version "
            "or newer."
        )
    return found


def _libpq_target(engine: Engine) -> tuple[str, dict[str, str]]:
    """The database as a libpq URL for pg_dump and pg_restore, with the password in the environment.

    Kept out of the command line, where any user of the machine could read it in the process list.
    """
    url = engine.url
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), environment


def _run(arguments: list[str], environment: dict[str, str]) -> None:
    answer = subprocess.run(arguments, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if answer.returncode != 0:
        program = Path(arguments[0]).name
        raise DatabaseBackupError(f"{program} failed (exit {answer.returncode}): {answer.stderr.strip()}")
