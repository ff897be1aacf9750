"""``portal loyalty …``: reconcile the cached balances, import purchases from CSV, expire points."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.plugin import User, db

from . import awards, ledger
from .ledger import LedgerError

loyalty_group = AppGroup("loyalty", help="Commands of the loyalty plugin.")
MAX_ROWS = 100_000


@loyalty_group.command("reconcile")
def reconcile_command() -> None:
    """Prove every cached balance equals the sum of its ledger entries; exit 1 on any difference."""
    bad = ledger.reconcile()
    for user_id, cached, summed in bad:
        click.echo(f"Account {user_id}: cached balance {cached}, ledger sum {summed}.")
    if bad:
        raise SystemExit(1)
    click.echo("All balances agree with the ledger.")


@loyalty_group.command("import-purchases")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and change nothing.")
def import_command(path: Path, dry_run: bool) -> None:
    """Import purchases from a CSV with columns email, amount, reference.

    Every row is checked first; if any is bad, they are all listed and nothing changes. A row whose
    reference was imported before credits nothing again.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if len(rows) > MAX_ROWS:
        raise click.ClickException(f"At most {MAX_ROWS} rows per file.")
    good, bad = [], []
    with click.progressbar(list(enumerate(rows, start=2)), label="Checking rows") as bar:
        for line, row in bar:
            try:
                good.append(_check_row(row))
            except LedgerError as error:
                bad.append((line, str(error)))
    for line, message in bad:
        click.echo(f"Line {line}: {message}")
    if bad:
        raise click.ClickException(f"{len(bad)} bad rows; nothing was imported.")
    if dry_run:
        click.echo(f"Dry run: {len(good)} rows are fine; nothing was imported.")
        return
    credited = 0
    with click.progressbar(good, label="Importing") as bar:
        for user_id, amount, reference in bar:
            entry = awards.record_purchase(user_id, amount, reference, None, f"import:{reference}")
            credited += entry is not None
    db.session.commit()
    click.echo(f"Imported {credited} purchases; {len(good) - credited} were already imported.")


def _check_row(row: dict[str, str | None]) -> tuple[int, object, str]:
    email = (row.get("email") or "").strip().lower()
    reference = (row.get("reference") or "").strip()
    if not email:
        raise LedgerError("The email is missing.")
    if not reference or len(reference) > 60:
        raise LedgerError("The reference is missing or longer than 60 characters.")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.role != "customer":
        raise LedgerError(f"No customer with the email {email}.")
    amount = ledger.parse_amount(row.get("amount") or "")
    if awards.purchase_points(user.id, amount) <= 0:
        raise LedgerError("This purchase earns no points.")
    return user.id, amount, reference


@loyalty_group.command("expire")
def expire_command() -> None:
    """Expire due points now (``portal tick`` does this daily)."""
    total = ledger.expire_due()
    db.session.commit()
    click.echo(f"{total} points expired.")
