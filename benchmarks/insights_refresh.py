"""How the insights refresh copes with a large history: time and SQL statements per run.

Run it from the project root:  .venv/bin/python benchmarks/insights_refresh.py
                                [--customers 100000] [--events 10000000]
                                [--database-url postgresql://postgres@127.0.0.1:5432/bench]

It migrates a fresh database (a temporary SQLite file unless --database-url names an empty one),
bulk-inserts the customers and a year of events spread over them (sign-ins, purchases with their
points, downloads, ratings, complaints opened and resolved), then times:

1. the first refresh, which reads the whole history and places every customer (the catch-up a
   deployment sees when it switches the plugin on);
2. the daily grading of everyone;
3. an incremental refresh after 1% more events, the work of an ordinary tick.

Each line gives the seconds and the SQL statements. The incremental run must touch only the
customers of the new events; the script exits with status 1 when a run takes over --budget seconds.
The issue's size is 100,000 customers and 10,000,000 events on PostgreSQL; the defaults are a tenth
of that, which runs in a few minutes on SQLite too.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from bench_app import migrated_app
from sqlalchemy import event, func, insert, select

from plugins.insights.grading import regrade
from plugins.insights.models import Profile
from plugins.insights.refresh import refresh
from portal.accounts.models import User
from portal.database import db, utcnow
from portal.events import StoredEvent

CHUNK = 10_000
KINDS = (
    ("loyalty.points_earned", 30),
    ("loyalty.purchase_recorded", 30),
    ("documents.downloaded", 15),
    ("tickets.created", 10),
    ("tickets.resolved", 8),
    ("tickets.rated", 7),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds allowed per run")
    args = parser.parse_args()
    app = migrated_app(["insights", "loyalty", "tickets", "documents"], args.database_url, "insights-bench-")
    now = utcnow()
    with app.app_context():
        started = time.perf_counter()
        first_id = _seed_customers(args.customers, now)
        _seed_events(first_id, args.customers, args.events, now, start_ticket=1)
        db.session.commit()
        seconds = time.perf_counter() - started
        print(f"seeded {args.customers:,} customers and {args.events:,} events in {seconds:.1f} s")
        slow = False
        slow |= _timed("first refresh (whole history)", lambda: refresh(now), args.budget)
        slow |= _timed("daily grading (everyone)", lambda: regrade(now), args.budget)
        extra = max(args.events // 100, 1)
        _seed_events(first_id, args.customers, extra, now, start_ticket=args.events + 1)
        db.session.commit()
        report = refresh(now)  # warm: the timed run below is the next ordinary tick
        db.session.commit()
        assessed = report.customers_assessed
        print(f"  (an incremental run after {extra:,} more events assessed {assessed:,} customers)")
        _seed_events(first_id, args.customers, extra, now, start_ticket=args.events + extra + 1)
        db.session.commit()
        slow |= _timed(f"incremental refresh ({extra:,} new events)", lambda: refresh(now), args.budget)
        stages = db.session.execute(select(Profile.stage, func.count()).group_by(Profile.stage)).all()
        print("stages:", ", ".join(f"{stage} {count:,}" for stage, count in sorted(stages)))
    return 1 if slow else 0


def _timed(label: str, work: Callable[[], Any], budget: float) -> bool:
    """Run ``work`` and commit, printing seconds and statements; True when over the budget."""
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    result = work()
    db.session.commit()
    seconds = time.perf_counter() - started
    event.remove(db.engine, "before_cursor_execute", count)
    print(f"{label}: {seconds:.2f} s, {statements:,} statements, {result}")
    return seconds > budget


def _seed_customers(count: int, now: datetime) -> int:
    rng = random.Random(7)
    first = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    for start in range(0, count, CHUNK):
        rows = [
            {
                "id": first + n,
                "email": f"customer{first + n}@bench.example",
                "name": f"Customer {first + n}",
                "password_hash": "!",
                "role": "customer",
                "created_at": now - timedelta(days=rng.randint(1, 900)),
                "last_login_at": now - timedelta(days=rng.randint(0, 200)),
                "email_verified_at": now,
                "session_token": f"bench{first + n}",
            }
            for n in range(start, min(start + CHUNK, count))
        ]
        db.session.execute(insert(User), rows)
    return first


def _seed_events(first_id: int, customers: int, count: int, now: datetime, start_ticket: int) -> None:
    for rows in _event_rows(first_id, customers, count, now, start_ticket):
        db.session.execute(insert(StoredEvent), rows)


def _event_rows(
    first_id: int, customers: int, count: int, now: datetime, start_ticket: int
) -> Iterator[list[dict[str, Any]]]:
    """Events in batches, spread over the customers, with payloads as the plugins write them."""
    rng = random.Random(start_ticket)
    names = [name for name, weight in KINDS for _ in range(weight)]
    batch: list[dict[str, Any]] = []
    for n in range(count):
        customer = first_id + rng.randrange(customers)
        name = rng.choice(names)
        ticket = start_ticket + n // 3
        payload: dict[str, Any] = {
            "loyalty.points_earned": {
                "user_id": customer,
                "points": rng.randint(10, 500),
                "kind": "earned",
                "entry_id": n,
            },
            "loyalty.purchase_recorded": {
                "user_id": customer,
                "entry_id": n,
                "points": 100,
                "amount_cents": 10000,
                "reference": "",
            },
            "documents.downloaded": {"document_id": 1, "version_id": None, "customer_id": customer},
            "tickets.created": {
                "ticket_id": ticket,
                "customer_id": customer,
                "category": rng.choice(("question", "complaint")),
                "priority": "normal",
            },
            "tickets.resolved": {"ticket_id": ticket, "customer_id": customer},
            "tickets.rated": {
                "ticket_id": ticket,
                "customer_id": customer,
                "rating": rng.randint(1, 5),
                "comment": "",
            },
        }[name]
        batch.append(
            {
                "name": name,
                "payload": payload,
                "customer_id": customer,
                "actor_id": customer,
                "created_at": now - timedelta(minutes=rng.randint(0, 365 * 24 * 60)),
            }
        )
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


if __name__ == "__main__":
    raise SystemExit(main())
