"""One import: every row checked first, then all of them applied in one transaction, or none.

A file with one bad row among thousands changes nothing and lists every bad row with its line, so
the person fixes the file once and sends it again; re-sending a file that was imported changes
nothing either, since each kind's apply step knows a row it imported before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from portal import audit
from portal.database import db
from portal.i18n import gettext_or_source as _
from portal.transfers.kinds import ImportContext, ImportKind, ImportRowError, Row
from portal.transfers.reading import ImportFileError, Sheet, SheetRow, read_sheet

if TYPE_CHECKING:
    from portal.accounts.models import User

CHECKING = "checking"
APPLYING = "applying"

# Told how far an import is: the stage (CHECKING or APPLYING), rows done, rows in all.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowProblem:
    """A bad row: the line it starts on and what to change in it."""

    line: int
    message: str


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows read, and how many created something or were there already.

    With ``problems`` nothing was changed; a dry run changes nothing either and counts nothing.
    """

    kind: str
    dry_run: bool
    rows: int
    created: int = 0
    unchanged: int = 0
    problems: tuple[RowProblem, ...] = ()


def run_import(
    kind: ImportKind,
    data: bytes,
    *,
    actor: User | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the CSV ``data`` as ``kind``: check every row, then apply them all and commit.

    ``actor`` is the staff account the import is recorded for (``None``: the server's operator).
    Raises ``ImportFileError`` when the file as a whole cannot be read (its header included); bad
    rows come back as the report's ``problems``, every one of them, and then nothing is changed.
    ``dry_run`` checks and changes nothing. ``progress`` hears of each row, so a command can draw a
    bar. A successful import is audited (``data_imported``) in the same transaction.
    """
    sheet = read_sheet(data)
    layout = header_layout(kind, sheet.header, sheet.header_line)
    context = ImportContext(actor)
    try:
        prepared, problems = _check_rows(kind, sheet, layout, context, progress)
    finally:
        db.session.rollback()  # what the checks read or made on the way (an account row) is not kept
    if problems or dry_run:
        return ImportReport(kind.name, dry_run, len(sheet.rows), problems=tuple(problems))
    try:
        created = _apply_rows(kind, prepared, context, progress)
    except _RowFailedError as failed:
        db.session.rollback()
        return ImportReport(kind.name, dry_run, len(sheet.rows), problems=(failed.problem,))
    except BaseException:
        db.session.rollback()
        raise
    report = ImportReport(kind.name, dry_run, len(sheet.rows), created, len(prepared) - created)
    audit.record(
        "data_imported",
        actor_id=actor.id if actor is not None else None,
        what=kind.name,
        rows=report.rows,
        created=report.created,
        unchanged=report.unchanged,
    )
    db.session.commit()
    return report


@dataclass(frozen=True)
class Layout:
    """Where each column of a kind is in a file (``positions``), and which places have a name."""

    positions: dict[str, int]
    named: frozenset[int]


def header_layout(kind: ImportKind, header: list[str], line: int = 1) -> Layout:
    """Where each column of ``kind`` is in the file; a header that does not fit is an ``ImportFileError``.

    Columns may come in any order, and optional ones may be left out. A column without a name (a
    spreadsheet's trailing comma) is allowed as long as its cells stay empty. ``line`` is the header's.
    """
    named = [name for name in header if name]
    known = {*kind.columns, *kind.ignored}
    twice = sorted({name for name in named if named.count(name) > 1})
    unknown = sorted(set(named) - known)
    missing = [name for name in kind.required if name not in named]
    reasons = []
    if twice:
        reasons.append(_("The header names %(columns)s more than once.", columns=", ".join(twice)))
    if unknown:
        reasons.append(
            _("The header has columns this import does not read: %(columns)s.", columns=", ".join(unknown))
        )
    if missing:
        reasons.append(_("The header lacks the columns %(columns)s.", columns=", ".join(missing)))
    if reasons:
        reasons.append(
            _(
                "The columns are %(columns)s; %(required)s must be there.",
                columns=", ".join(kind.columns),
                required=", ".join(kind.required),
            )
        )
        raise ImportFileError(" ".join(reasons), line)
    return Layout(
        positions={name: header.index(name) for name in kind.columns if name in header},
        named=frozenset(index for index, name in enumerate(header) if name),
    )


class _RowFailedError(Exception):
    def __init__(self, problem: RowProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _check_rows(
    kind: ImportKind,
    sheet: Sheet,
    layout: Layout,
    context: ImportContext,
    progress: Progress | None,
) -> tuple[list[tuple[int, object]], list[RowProblem]]:
    prepared: list[tuple[int, object]] = []
    problems: list[RowProblem] = []
    first_line_of: dict[str, int] = {}
    total = len(sheet.rows)
    for done, sheet_row in enumerate(sheet.rows, start=1):
        try:
            row = _row(kind, sheet_row, layout)
            ready = kind.check(row, context)
            if kind.key is not None:
                _refuse_repeats(kind, row, sheet_row.line, first_line_of)
        except ImportRowError as error:
            problems.append(RowProblem(sheet_row.line, str(error)))
        else:
            prepared.append((sheet_row.line, ready))
        if progress is not None:
            progress(CHECKING, done, total)
    return prepared, problems


def _row(kind: ImportKind, sheet_row: SheetRow, layout: Layout) -> Row:
    cells = sheet_row.cells
    if any(cell.strip() for index, cell in enumerate(cells) if index not in layout.named):
        raise ImportRowError(
            _(
                "This line has text in a column the header does not name: a comma too many, or a "
                "cell with a comma and no quotes around it?"
            )
        )
    row = {}
    for name in kind.columns:
        index = layout.positions.get(name)
        row[name] = cells[index] if index is not None and index < len(cells) else ""
    return row


def _refuse_repeats(kind: ImportKind, row: Row, line: int, first_line_of: dict[str, int]) -> None:
    assert kind.key is not None
    value = kind.normalise_key(row[kind.key])
    if value in first_line_of:
        raise ImportRowError(
            _(
                "This row has the same %(column)s as line %(line)d; each may be in the file once.",
                column=kind.key,
                line=first_line_of[value],
            )
        )
    first_line_of[value] = line


def _apply_rows(
    kind: ImportKind,
    prepared: list[tuple[int, object]],
    context: ImportContext,
    progress: Progress | None,
) -> int:
    created = 0
    for done, (line, ready) in enumerate(prepared, start=1):
        try:
            created += bool(kind.apply(ready, context))
        except ImportRowError as error:
            raise _RowFailedError(RowProblem(line, str(error))) from error
        if progress is not None:
            progress(APPLYING, done, len(prepared))
    return created
