"""``portal loyalty …``: reconcile balances and daily totals, import purchases from CSV, expire points."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.plugin import User, db

from . import awards, grants, ledger, totals
from .grants import Granter, ServerOperator
from .ledger import LedgerError

loyalty_group = AppGroup("loyalty", help="Commands of the loyalty plugin.")
MAX_ROWS = 100_000


@loyalty_group.command("reconcile")
@click.option("--repair", is_flag=True, help="Rebuild the daily totals from the ledger if they differ.")
def reconcile_command(repair: bool) -> None:
    """Prove every cached balance and daily total agrees with the ledger entries; exit 1 on any difference.

    The ledger is the truth. Daily totals that differ (a database restored without its triggers, rows
    changed by hand) are rebuilt with --repair; a balance that differs is reported for a person to
    look at, since it is what the customer was shown and spent from.
    """
    bad = ledger.reconcile()
    for user_id, cached, summed in bad:
        click.echo(f"Account {user_id}: cached balance {cached}, ledger sum {summed}.")
    if not bad:
        click.echo("All balances agree with the ledger.")
    differing = totals.differences()
    if differing and repair:
        totals.rebuild()
        db.session.commit()
        click.echo(f"{differing} daily totals differed from the ledger; all were rebuilt from it.")
        differing = 0
    elif differing:
        click.echo(
            f"{differing} daily totals differ from the ledger; run again with --repair to rebuild them."
        )
    else:
        click.echo("All daily totals agree with the ledger.")
    if bad or differing:
        raise SystemExit(1)


@loyalty_group.command("import-purchases")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and change nothing.")
@click.option(
    "--by",
    "by_email",
    metavar="EMAIL",
    help="The staff member the import is recorded for; their role's cap per grant applies "
    "(without it, the administrators' cap).",
)
def import_command(path: Path, dry_run: bool, by_email: str | None) -> None:
    """Import purchases from a CSV with columns email, amount, reference.

    Every row is checked first, the cap per grant included; if any is bad, they are all listed and
    nothing changes. A row whose reference was imported before credits nothing again.
    """
    granter = _granter(by_email)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if len(rows) > MAX_ROWS:
        raise click.ClickException(f"At most {MAX_ROWS} rows per file.")
    good, bad = [], []
    with click.progressbar(list(enumerate(rows, start=2)), label="Checking rows") as bar:
        for line, row in bar:
            try:
                good.append(_check_row(row, granter))
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
            entry = awards.record_purchase(user_id, amount, reference, granter, f"import:{reference}")
            credited += entry is not None
    db.session.commit()
    click.echo(f"Imported {credited} purchases; {len(good) - credited} were already imported.")


def _granter(email: str | None) -> Granter:
    """The staff account named by ``--by``, or the server's operator (an administrator's cap)."""
    if email is None:
        return ServerOperator()
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.role not in ("agent", "admin"):
        raise click.ClickException(f"{email} is not a staff member's email.")
    return user


def _check_row(row: dict[str, str | None], granter: Granter) -> tuple[int, Decimal, str]:
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
    points = awards.purchase_points(user.id, amount)
    if points <= 0:
        raise LedgerError("This purchase earns no points.")
    grants.refuse_above_cap(points, granter.role)
    return user.id, amount, reference


@loyalty_group.command("expire")
def expire_command() -> None:
    """Expire due points now (``portal tick`` does this every hour)."""
    total = ledger.expire_due()
    db.session.commit()
    click.echo(f"{total} points expired.")
