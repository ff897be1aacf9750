"""Writing CSV that a spreadsheet opens as data: no cell anyone typed can run as a formula.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - or @ (and, after trimming,
a tab or carriage return) as a formula, so an email address like ``=cmd|'/Ccalc'!a0@example.com``
in an export could run a command on the computer of the staff member who opens it. Every export
writes its cells through ``spreadsheet_safe``, most simply by writing its rows with ``csv_lines``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """The cell to write for ``value``: text that could start a formula gets a leading apostrophe.

    Numbers the program itself wrote as numbers (int, float, Decimal) stay numbers, so a negative
    balance still sums; text is guarded whatever it looks like, since a person typed it. The
    apostrophe is what spreadsheets themselves use to mark a cell as text.
    """
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line, every cell through ``spreadsheet_safe``; for streamed downloads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def spreadsheet_value(cell: str) -> str:
    """A cell read back from CSV as it was before ``spreadsheet_safe`` guarded it: no apostrophe.

    Only an apostrophe before what ``spreadsheet_safe`` guards goes, so an exported file imports as
    it is and text that starts with an apostrophe of its own ("'tis") keeps it.
    """
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell
