"""Ledger history for ``portal seed``: entries over three years, balances that match, totals that reconcile.

On SQLite the entries go in with the database's triggers on, so ``loyalty_daily_totals`` is kept by
the same code as every real credit. On PostgreSQL the per-row trigger would cost most of the time at
ten million entries, so the entries go in with that one trigger off and the totals are then rebuilt
from the whole ledger (``totals.rebuild``, what ``portal loyalty reconcile --repair`` does), all in one
transaction: nobody sees the entries without their totals, and a failure leaves the trigger on and
nothing seeded. ``portal loyalty reconcile`` proves the result either way. Each account's cached
balance is the sum of its seeded entries, and no customer ever spends more than they had.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from portal.plugin import SeedRun, db

from . import totals
from .models import Account, Entry

FIRST_CUSTOMER_SHARE = 100  # the benchmark's customer holds 1/100 of the ledger: a long history
LIVE_LOTS = 3  # credits of the benchmark's customer that expire soon, for "points expiring"
TOTALS_TRIGGER = "loyalty_entries_count"  # PostgreSQL's trigger keeping the daily totals (loyalty_0006)


def seed_ledger(run: SeedRun) -> None:
    """``run.counts.ledger_rows`` entries, then one account per customer with the ledger's balance."""
    rng = run.random("loyalty")
    customers = run.customer_ids
    if not customers:
        return
    first = customers[0]
    total = run.counts.ledger_rows
    heavy = min(total, max(total // FIRST_CUSTOMER_SHARE, LIVE_LOTS))
    balances: dict[int, int] = {}

    def entries() -> Iterator[dict[str, Any]]:
        for number in range(total - LIVE_LOTS):
            user_id = first if number < heavy else rng.choice(customers)
            kind = rng.choices(("earned", "redeemed", "expired"), weights=(8, 1, 1))[0]
            points = rng.randrange(1, 200)
            if kind != "earned" and balances.get(user_id, 0) >= points:
                points = -points
            else:
                kind = "earned"
            balances[user_id] = balances.get(user_id, 0) + points
            yield _entry(user_id, kind, points, run.moment(rng))
        for lot in range(min(LIVE_LOTS, total)):
            points = 50 * (lot + 1)
            balances[first] = balances.get(first, 0) + points
            yield _entry(first, "earned", points, run.started - timedelta(days=300), remaining=points) | {
                "expires_at": run.started + timedelta(days=10 * (lot + 1))
            }

    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"ALTER TABLE loyalty_entries DISABLE TRIGGER {TOTALS_TRIGGER}"))
        run.insert(Entry, entries(), total, "ledger entries", commit_each=False)
        db.session.execute(text(f"ALTER TABLE loyalty_entries ENABLE TRIGGER {TOTALS_TRIGGER}"))
        totals.rebuild()
        db.session.commit()
    else:
        run.insert(Entry, entries(), total, "ledger entries")
    accounts = (
        {"user_id": user_id, "balance": balance, "tier": "bronze", "updated_at": run.started}
        for user_id, balance in sorted(balances.items())
    )
    run.insert(Account, accounts, len(balances), "loyalty accounts")


def _entry(user_id: int, kind: str, points: int, at: Any, remaining: int = 0) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "kind": kind,
        "points": points,
        "remaining": remaining,
        "reason": "",
        "created_at": at,
        "expires_at": None,
    }
