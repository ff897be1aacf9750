"""The customer's loyalty page as history grows: time and SQL statements at 100 and at N ledger entries.

Run it from the project root:  .venv/bin/python benchmarks/loyalty_page.py [--entries 20000]
                                [--database-url postgresql://postgres@127.0.0.1:5432/bench]
                                [--small-database-url postgresql://postgres@127.0.0.1:5432/bench_small]

It migrates a fresh database (a temporary SQLite file unless a URL names an empty one), gives one
customer N entries spread over three years (bulk inserts, which the ledger's triggers count into the
daily totals as any credit is) and 50 other customers 1,000 entries each, signs that customer in and
opens /loyalty/ 30 times: balance, tier progress, points expiring, a year's chart, a page of history.
It does the same with 100 entries and prints the median, the 95th percentile and the statements of
each. The performance issue's target: the page at N within 1.3 times its time at 100 entries, with
the same statement count; the script exits with status 1 otherwise.
"""

from __future__ import annotations

import argparse
import random
import statistics
from datetime import timedelta

from bench_app import migrated_app, timed_requests
from sqlalchemy import insert, update

from plugins.loyalty.models import Account, Entry
from portal.database import db, utcnow
from portal.testing import TEST_PASSWORD, create_user, log_in

CHUNK = 5000
OTHERS = 50
REQUESTS = 30


def seed(user_id: int, count: int, rng: random.Random) -> None:
    """``count`` entries over three years: mostly purchases, some redemptions, a few expiries."""
    now = utcnow()
    balance = 0
    for offset in range(0, count, CHUNK):
        rows = []
        for _ in range(min(CHUNK, count - offset)):
            kind = rng.choices(["earned", "redeemed", "expired"], weights=[8, 1, 1])[0]
            points = rng.randrange(1, 200) * (1 if kind == "earned" else -1)
            balance += points
            at = now - timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
            rows.append(
                {"user_id": user_id, "kind": kind, "points": points, "remaining": 0, "created_at": at}
            )
        db.session.execute(insert(Entry), rows)
    db.session.execute(insert(Account).values(user_id=user_id, balance=max(balance, 0), tier="bronze"))
    db.session.commit()


def run(count: int, database_url: str) -> tuple[list[float], set[int]]:
    app = migrated_app(["loyalty"], database_url, "loyalty-bench-")
    customer = create_user(app, "customer")
    rng = random.Random(3)
    with app.app_context():
        seed(customer.id, count, rng)
        for _ in range(OTHERS if count > 1000 else 0):
            seed(create_user(app, "customer").id, 1000, rng)
        # A few lots still live, so "points expiring soon" has something to find.
        db.session.execute(
            update(Entry)
            .where(Entry.user_id == customer.id, Entry.kind == "earned", Entry.id % 50 == 0)
            .values(remaining=Entry.points, expires_at=utcnow() + timedelta(days=30))
        )
        db.session.commit()
    client = app.test_client()
    log_in(client, customer.email, TEST_PASSWORD)
    timed_requests(app, client, ["/loyalty/"] * 3)  # warm the caches and the templates
    return timed_requests(app, client, ["/loyalty/"] * REQUESTS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--database-url", default="", help="an empty database; SQLite when left out")
    parser.add_argument("--small-database-url", default="", help="a second empty database for 100 entries")
    parser.add_argument("--ratio", type=float, default=1.3, help="largest allowed growth of the median")
    args = parser.parse_args()
    small = run(100, args.small_database_url)
    large = run(args.entries, args.database_url)
    print(f"{'entries':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  statements")
    for size, (times, counts) in ((100, small), (args.entries, large)):
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{size:>9}{statistics.median(times):>9.1f}{p95:>9.1f}{max(times):>9.1f}  {sorted(counts)}")
    growth = statistics.median(large[0]) / statistics.median(small[0])
    print(f"growth of the median: {growth:.2f}x (allowed {args.ratio}x)")
    failed = growth > args.ratio or large[1] != small[1]
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
