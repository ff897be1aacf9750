"""``portal backup PATH`` and ``portal restore PATH``: the click layer over ``making`` and ``restoring``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.backup.archive import ArchiveError
from portal.backup.database import DatabaseBackupError
from portal.backup.making import make_backup
from portal.backup.restoring import RestoreRefusedError, check_restore, restore_backup
from portal.file_size import format_file_size
from portal.storage import StorageError

FAILURES = (ArchiveError, DatabaseBackupError, RestoreRefusedError, StorageError)
LISTED_AT_MOST = 20  # file keys named one per line before the rest is only counted


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it already exists.")
@with_appcontext
def backup(path: Path, force: bool) -> None:
    """Write the database and every stored file to the archive PATH (a .tar.gz), while the portal runs."""
    try:
        summary = make_backup(path, force=force, say=click.echo)
    except FAILURES as error:
        raise click.ClickException(f"No backup was written: {error}") from error
    for key in summary.vanished:
        click.echo(f"Warning: {key} was deleted while the backup ran and is not in it.", err=True)
    manifest = summary.manifest
    click.echo(
        f"Backup written to {path}: {len(manifest.row_counts)} tables, {manifest.total_rows} rows, "
        f"{len(manifest.files)} files ({format_file_size(manifest.total_file_bytes)}); "
        f"the archive is {format_file_size(summary.archive_size)}."
    )


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Restore over a database that already holds accounts.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@with_appcontext
def restore(path: Path, replace: bool, yes: bool) -> None:
    """Bring back the database and files from the archive PATH; stop the portal first.

    The whole archive is checked before anything changes. Files in storage that the backup lacks are
    left where they are and listed.
    """
    click.echo(f"Checking {path}.")
    try:
        plan = check_restore(path)
    except FAILURES as error:
        raise click.ClickException(f"Nothing was restored: {error}") from error
    manifest = plan.manifest
    click.echo(
        f"The archive is complete: made {manifest.created_at} by portal {manifest.portal_version} on "
        f"{manifest.backend}, {manifest.total_rows} rows, {len(manifest.files)} files."
    )
    held = ", ".join(f"{table} {count}" for table, count in plan.rows_now.items() if count)
    if plan.accounts_now and not replace:
        raise click.ClickException(
            f"Nothing was restored: the database already holds a portal's data ({held}). "
            "Restoring would replace all of it; add --replace if that is what you want."
        )
    if plan.accounts_now:
        click.echo(f"These rows will be replaced: {held}.")
    if not yes:
        click.confirm("Restore this backup now?", abort=True)
    try:
        summary = restore_backup(path, manifest, say=click.echo)
    except FAILURES as error:
        raise click.ClickException(f"The restore stopped: {error}") from error
    click.echo(
        f"Restored {len(manifest.row_counts)} tables, {manifest.total_rows} rows and "
        f"{summary.files_written} files from {path}."
    )
    _report_extra_files(summary.files_not_in_backup)
    if plan.older_schema:
        click.echo("The backup was made by an older portal: run 'portal migrate' before starting it.")


def _report_extra_files(keys: list[str]) -> None:
    """Name the files the storage holds that the backup does not; they are kept, not deleted."""
    if not keys:
        return
    click.echo(f"{len(keys)} stored files are not in the backup and were left in place:")
    for key in keys[:LISTED_AT_MOST]:
        click.echo(f"  {key}")
    if len(keys) > LISTED_AT_MOST:
        click.echo(f"  and {len(keys) - LISTED_AT_MOST} more.")
