"""``portal import KIND FILE`` and ``portal export KIND``: the transfers from a shell, with a progress bar.

They run the same ``run_import`` and ``run_export`` as the API's routes; only the way in and out
differs. A command has no reader, so its messages are the source text (``gettext_or_source``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import IO

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from portal.accounts.models import User, normalise_email
from portal.database import db
from portal.i18n import gettext_or_source as _
from portal.transfers.exporting import run_export
from portal.transfers.importing import CHECKING, run_import
from portal.transfers.reading import MAX_BYTES, ImportFileError
from portal.transfers.registry import export_kinds, find_export_kind, find_import_kind, import_kinds


@click.command("import")
@click.argument("kind_name", metavar="KIND")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check every row and change nothing.")
@click.option(
    "--by",
    "by_email",
    metavar="EMAIL",
    help="The staff member the import is recorded for; their role's limits apply (without it, an "
    "administrator's, and no one is named).",
)
@with_appcontext
def import_command(kind_name: str, file: IO[bytes], dry_run: bool, by_email: str | None) -> None:
    """Import the rows of a CSV FILE ('-' for standard input) as KIND: customers, or a plugin's kind.

    Every row is checked first; if any is bad, each is listed with its line and nothing changes.
    A row imported before (the same email, the same receipt) changes nothing again.
    """
    kind = find_import_kind(kind_name)
    if kind is None:
        raise click.ClickException(_unknown(kind_name, sorted(import_kinds())))
    actor = _staff_member(by_email) if by_email is not None else None
    data = file.read(MAX_BYTES + 1)
    with ExitStack() as stack:
        bars = _ProgressBars(stack)
        try:
            report = run_import(kind, data, actor=actor, dry_run=dry_run, progress=bars.show)
        except ImportFileError as error:
            raise click.ClickException(str(error)) from None
    for problem in report.problems:
        click.echo(_("Line %(line)d: %(message)s", line=problem.line, message=problem.message))
    if report.problems:
        raise click.ClickException(_("%(count)d bad rows; nothing was imported.", count=len(report.problems)))
    if dry_run:
        click.echo(_("Dry run: %(rows)d rows are fine; nothing was imported.", rows=report.rows))
        return
    click.echo(
        _(
            "Imported %(kind)s: %(created)d created, %(unchanged)d unchanged (imported before).",
            kind=kind.name,
            created=report.created,
            unchanged=report.unchanged,
        )
    )


@click.command("export")
@click.argument("kind_name", metavar="KIND")
@click.option(
    "--since",
    metavar="ISO-DATE",
    help="Only rows made at or after this moment: 2026-01-31, or 2026-01-31T09:00:00+03:30 (UTC "
    "without an offset).",
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    help="The file to write (standard output without it).",
)
@with_appcontext
def export_command(kind_name: str, since: str | None, output: IO[str]) -> None:
    """Write every row of KIND as CSV, cells safe to open in a spreadsheet; --since for what is new."""
    kind = find_export_kind(kind_name)
    if kind is None:
        raise click.ClickException(_unknown(kind_name, sorted(export_kinds())))
    moment = _moment(since) if since is not None else None
    lines = 0
    for line in run_export(kind, since=moment):
        output.write(line)
        lines += 1
    output.flush()
    click.echo(_("Exported %(rows)d rows of %(kind)s.", rows=lines - 1, kind=kind.name), err=True)


class _ProgressBars:
    """A click progress bar for each stage of an import, the one before closed as the next opens."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.stage = ""
        self.advance: Callable[[int], None] | None = None
        self.shown = 0

    def show(self, stage: str, done: int, total: int) -> None:
        """Move the bar of ``stage`` to ``done`` of ``total``; a new stage closes the bar before it."""
        if stage != self.stage:
            self.stack.close()
            label = _("Checking rows") if stage == CHECKING else _("Importing")
            self.advance = self.stack.enter_context(click.progressbar(length=total, label=label)).update
            self.stage, self.shown = stage, 0
        assert self.advance is not None
        self.advance(done - self.shown)
        self.shown = done


def _staff_member(email: str) -> User:
    """The staff account ``--by`` names: the import is recorded for it and its role's limits apply."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_staff:
        raise click.ClickException(_("%(email)s is not a staff member's email.", email=email))
    return user


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            _("Give a day or a moment in ISO 8601, such as 2026-01-31 or 2026-01-31T09:00:00+00:00."),
            param_hint="--since",
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _unknown(name: str, offered: list[str]) -> str:
    return _(
        "Nothing called “%(name)s” is on offer; these are: %(kinds)s.", name=name, kinds=", ".join(offered)
    )
