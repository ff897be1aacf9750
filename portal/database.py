"""The SQLAlchemy handle shared by the core and plugins, and the engine settings SQLite needs."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CursorResult, Executable, MetaData, Result, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so Alembic sees the same names on every database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The base class of every table, core and plugins: ``class Ticket(Model)``. At run time it is
# ``db.Model``; a type checker cannot follow an attribute of an instance used as a base class, so it
# is shown the classes ``db.Model`` is made of (Flask-SQLAlchemy's Model mixin on our Base).
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    class Model(_FlaskModel, Base):
        """What ``db.Model`` is, for the type checker."""

        __abstract__ = True

else:
    Model = db.Model


def rows_matched(statement: Executable) -> int:
    """Run an UPDATE or DELETE in the current session and return how many rows its WHERE matched.

    A conditional UPDATE that matched no row is how the portal learns that someone else claimed the
    job, spent the token or changed the row first. ``Session.execute`` is typed for any statement and
    returns a plain ``Result``; a DML statement's result is a ``CursorResult``, which has the count.
    """
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def read_prepared(statement: Executable, **parameters: Any) -> Result[Any]:
    """Run a read built once at import, on tables rather than models, with the unit's changes in view.

    For the few reads every request makes (the bell, the organization scope): a statement made afresh
    each time cost three times the query it runs, and a Core one skips the ORM's per-call work. The
    session flushes pending changes before an ORM statement but not before a Core one, so this does
    (unless the caller is inside ``no_autoflush``, as the ORM would not either).
    """
    if db.session.autoflush:
        db.session.flush()
    return db.session.execute(statement, parameters)


def made_by_migration(*names: str) -> None:
    """Declare database objects a migration makes that no model can describe: a full-text index.

    An FTS5 table (with the shadow tables SQLite keeps beside it, named after it) or an expression
    index is written by hand in the plugin's migration; declared here, Alembic's comparison of the
    models with the database leaves it alone instead of proposing to drop it.
    """
    db.metadata.info.setdefault(_MADE_BY_MIGRATION, set()).update(names)


def compared_with_models(
    _object: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's ``include_object``: everything but what ``made_by_migration`` declared."""
    if not reflected or compare_to is not None or name is None or type_ not in ("table", "index"):
        return True
    declared = db.metadata.info.get(_MADE_BY_MIGRATION, set())
    return not any(name == made or name.startswith(f"{made}_") for made in declared)


_MADE_BY_MIGRATION = "made_by_migration"


def utcnow() -> datetime:
    """Timestamps are stored as naive UTC, which SQLite and PostgreSQL compare the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: object, _record: object) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
