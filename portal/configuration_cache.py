"""Plugin switches and settings kept in a worker's memory between units of work, until someone changes one.

Every request asks which plugins are enabled, and most pages read a plugin's settings: a query each,
on every page, for values an administrator changes a few times a year. So each worker keeps what it
read beside the *configuration generation* it read it at: a number in the database that triggers on
``portal_plugin_states`` and ``portal_settings`` raise on every insert, update and delete, whoever
writes (the staff pages, a migration, a hand-typed UPDATE). A unit of work reads that number once and
reuses what the worker read at the same number; a committed change raises it, so every worker still
sees the change at its next unit, as when nothing was kept. A page pays one one-row query for all of
it instead of one per thing read.

A unit that changed a value itself reads it from its own transaction and keeps it out of the
worker's memory, so no other unit sees a value nobody has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import BigInteger, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import Model, db
from portal.unit_of_work import changed_in_this_unit, remembered

Value = TypeVar("Value")

_GENERATION = "portal_configuration_generation"  # the unit's reading of the number
_EXTENSION = "portal_configuration_cache"  # app.extensions: name -> (generation, also, value)


class ConfigurationGeneration(Model):
    """The one row whose number the triggers raise on each change to a switch or a setting."""

    __tablename__ = "portal_configuration_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)


# Built once and on the table, not the model: the ORM's own bookkeeping cost more than the query.
_READ_GENERATION = select(ConfigurationGeneration.__table__.c.generation)


def kept(name: Hashable, read: Callable[[], Value], *, also: Hashable = None) -> Value:
    """``read()``'s value, read once per unit of work and reused by the worker while nothing changed.

    ``read`` must depend only on switch and setting rows and on ``also`` (what else it reads, such as
    the configured plugins, which a test or an embedding program may change while the app runs), and
    its value must not be changed by whoever receives it: later units get the same object.
    """
    return remembered(name, lambda: _through_worker_memory(name, read, also))


def _through_worker_memory(name: Hashable, read: Callable[[], Value], also: Hashable) -> Value:
    if not has_app_context() or changed_in_this_unit(name):
        return read()
    generation = remembered(_GENERATION, _read_generation)
    if generation is None:
        return read()
    values: dict[Hashable, tuple[int, Hashable, Any]] = current_app.extensions.setdefault(_EXTENSION, {})
    known = values.get(name)
    if known is not None and known[0] == generation and known[1] == also:
        return known[2]
    value = read()
    values[name] = (generation, also, value)
    return value


def _read_generation() -> int | None:
    """The number now, or ``None`` before the migration that makes it (nothing is kept then)."""
    try:
        return db.session.scalar(_READ_GENERATION)
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        return None
