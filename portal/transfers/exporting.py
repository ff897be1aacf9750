"""One export: a kind's rows as CSV lines, streamed, with no cell a spreadsheet could run.

Every cell goes through ``portal.spreadsheets`` (a name like ``=HYPERLINK(…)`` gets its leading
apostrophe), times are ISO 8601 in UTC with their offset, as the API writes them, and the rows come
from the database in batches, so an export of millions holds only a batch in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import chain
from typing import TYPE_CHECKING

from portal import audit
from portal.database import db
from portal.spreadsheets import csv_lines
from portal.transfers.kinds import ExportKind

if TYPE_CHECKING:
    from portal.accounts.models import User


def run_export(
    kind: ExportKind, *, actor: User | None = None, since: datetime | None = None
) -> Iterator[str]:
    """Audit the export (``data_exported``, committed at once) and give its CSV lines, header first.

    ``actor`` is the staff account asking (``None``: the server's operator); ``since`` (naive UTC)
    keeps the rows made at or after it. The lines are made as they are read, so stream them.
    """
    audit.record(
        "data_exported",
        actor_id=actor.id if actor is not None else None,
        what=kind.name,
        since=iso_time(since) if since is not None else None,
    )
    db.session.commit()
    return csv_lines(chain([kind.columns], _cells(kind.rows(since))))


def iso_time(moment: datetime) -> str:
    """A stored moment (naive UTC) as ISO 8601 with its offset, to the second: 2026-12-06T17:13:41+00:00."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _cells(rows: Iterable[Sequence[object]]) -> Iterator[list[object]]:
    for row in rows:
        yield [iso_time(cell) if isinstance(cell, datetime) else cell for cell in row]
