"""Reading an uploaded CSV file into its header and rows, each with the line a person finds it on.

What cannot be read at all (not UTF-8, a NUL byte, a broken quote, too large) is one
``ImportFileError`` for the whole file, with its line when one line is to blame, so no input reaches
a kind's check in a form that could fail in the database.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from portal.clean_input import without_controls
from portal.i18n import gettext_or_source as _
from portal.spreadsheets import spreadsheet_value

MAX_BYTES = 25 * 1024 * 1024
MAX_ROWS = 100_000


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; ``line`` is where, when one line is to blame."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class ImportTooLargeError(ImportFileError):
    """The file has more bytes or more rows than one import takes."""


@dataclass(frozen=True)
class SheetRow:
    """One row of cells and the line of the file it starts on, as an editor numbers lines."""

    line: int
    cells: list[str]


@dataclass(frozen=True)
class Sheet:
    """A file read: the column names (trimmed, lower case), their line, and the rows, blank ones left out."""

    header: list[str]
    header_line: int
    rows: list[SheetRow]


def read_sheet(data: bytes) -> Sheet:
    """Read CSV bytes: UTF-8 (a byte-order mark allowed), at most ``MAX_BYTES`` and ``MAX_ROWS`` rows.

    Invisible control characters are dropped from cells, as from forms (portal.clean_input), and
    the apostrophe a spreadsheet-safe export put before a formula-like cell is taken off again.
    """
    if len(data) > MAX_BYTES:
        raise ImportTooLargeError(
            _(
                "The file is larger than %(megabytes)d MB; split it into smaller files.",
                megabytes=MAX_BYTES >> 20,
            )
        )
    text = _decoded(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 1
    rows: list[SheetRow] = []
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if header is None:
                    header, header_line = [cell.strip().lower() for cell in cells], line
                else:
                    rows.append(SheetRow(line, [spreadsheet_value(without_controls(cell)) for cell in cells]))
                if len(rows) > MAX_ROWS:
                    raise ImportTooLargeError(
                        _("The file has more than %(rows)d rows; split it into smaller files.", rows=MAX_ROWS)
                    )
            line = reader.line_num + 1
    except csv.Error:
        raise ImportFileError(
            _(
                "Line %(line)d cannot be read as CSV: a quote is left open, or a cell is longer than "
                "%(limit)d characters.",
                line=line,
                limit=csv.field_size_limit(),
            ),
            line,
        ) from None
    if header is None:
        raise ImportFileError(_("The file is empty: its first line names the columns."))
    return Sheet(header, header_line, rows)


def _decoded(data: bytes) -> str:
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise ImportFileError(
            _("Line %(line)d is not UTF-8 text; save the file as CSV in UTF-8.", line=line), line
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError(
            _(
                "Line %(line)d holds a NUL character, which text never has: save the file as CSV in UTF-8.",
                line=line,
            ),
            line,
        )
    return text
