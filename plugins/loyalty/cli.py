"""``portal loyalty …``: reconcile balances and daily totals, expire points.

Purchases are imported with the core's ``portal import loyalty.purchases`` (transfers.py).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.plugin import db

from . import ledger, totals

loyalty_group = AppGroup("loyalty", help="Commands of the loyalty plugin.")


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


@loyalty_group.command("expire")
def expire_command() -> None:
    """Expire due points now (``portal tick`` does this every hour)."""
    total = ledger.expire_due()
    db.session.commit()
    click.echo(f"{total} points expired.")
