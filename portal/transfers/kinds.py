"""What an import or an export of CSV is: a name, its columns, and the functions that do the work.

The core declares its own kinds (``customers``) with these classes, exactly as a plugin declares its
kinds through ``portal_import_kinds`` and ``portal_export_kinds``, so the contract is proven by the
core's own use of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portal.accounts.models import User

# One row as a kind's check receives it: every column of the kind, cells as written (a left-out
# optional column is empty), without the apostrophe a spreadsheet-safe export put before a formula.
Row = Mapping[str, str]


class ImportRowError(ValueError):
    """A row that cannot be imported; the message says what to change in it, for the file's author."""


@dataclass(frozen=True)
class ImportContext:
    """Whom an import is for: the staff account it is recorded for, or ``None``.

    ``actor`` is the account of the API token, or the one ``--by`` named; ``None`` is whoever runs the
    command on the server, who acts with an administrator's rights and is named nowhere.
    """

    actor: User | None


@dataclass(frozen=True)
class ImportKind:
    """Rows of one kind read from CSV, such as ``customers`` or ``loyalty.purchases``.

    - ``name``: the core's are bare words (``customers``), a plugin's ``<plugin name>.<what>``.
    - ``label``: what people read for it, a lazy translation.
    - ``area``: the API's area of scopes: importing needs ``<area>:write``. The core's kinds use a
      core area (``customers``), a plugin's kinds the plugin's name.
    - ``columns``: every column the kind reads; ``required``: those a file must have.
    - ``check(row, context)``: the prepared row, or ``ImportRowError`` saying what is wrong. Every
      row is checked before any is applied, and what the checks did to the session is rolled back
      before the first is: so a prepared row holds plain values (ids, amounts), not loaded objects.
    - ``apply(prepared, context)``: makes the change in ``db.session`` (never commits) and returns
      whether it changed anything: ``False`` when the row was imported before. It may raise
      ``ImportRowError`` too, when something changed since the check; then nothing is imported.
    - ``key``: the column naming what a row is about (an email address, a receipt), so a file that
      repeats one is refused with both lines, and a row imported before changes nothing.
      ``normalise_key`` says when two values are the same (case folded for an address).
    - ``ignored``: columns a file may have that are not read: what the kind's export writes besides,
      so an exported file imports as it is.
    """

    name: str
    label: Any
    area: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    check: Callable[[Row, ImportContext], Any]
    apply: Callable[[Any, ImportContext], bool]
    key: str | None = None
    normalise_key: Callable[[str], str] = str.strip
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportKind:
    """Rows of one kind written as CSV, such as ``customers`` or ``loyalty.purchases``.

    ``name``, ``label`` and ``area`` are as an import's (exporting needs ``<area>:read``).
    ``rows(since)`` gives the rows in ``columns`` order, oldest first; ``since`` (naive UTC, or
    ``None`` for all) keeps those made at or after that moment, so a sync reads only what is new.
    Cells are plain values: a ``datetime`` is written as ISO 8601 in UTC, ``None`` as an empty cell,
    and every text through ``spreadsheet_safe``. Stream them (``yield_per``): an export may hold millions.
    """

    name: str
    label: Any
    area: str
    columns: tuple[str, ...]
    rows: Callable[[datetime | None], Iterable[Sequence[object]]]
