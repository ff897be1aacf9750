"""The daily totals the loyalty page reads instead of a year of entries: kept by the database, exact.

Every figure is checked against the ledger read entry by entry (the way the page computed it before
loyalty_0006), in the zones and calendars where a month or a rolling year does not start at UTC
midnight, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from plugins.loyalty import contributions, ledger, rewards, tiers, totals
from plugins.loyalty.models import DailyTotal, Entry, Reward
from portal.accounts.models import User
from portal.dates import force_calendar, force_zone
from portal.plugin import db, month_start

pytestmark = pytest.mark.plugins("loyalty")

NOW = datetime(2026, 12, 6, 10, 0)
READERS = [
    ("UTC", "gregorian"),
    ("Asia/Tehran", "persian"),  # 1 Azar 1405 begins on 21 November at 20:30 UTC
    ("America/Los_Angeles", "gregorian"),  # months begin at 07:00 or 08:00 UTC
    ("Pacific/Kiritimati", "gregorian"),  # UTC+14: a month begins on the day before, UTC
]


def seed_history(user_id: int, count: int = 1500, seed: int = 5) -> None:
    """Entries over 14 months, bunched around midnights so month starts in every zone split a day."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        day = NOW - timedelta(days=rng.randrange(0, 430))
        at = day.replace(
            hour=rng.choice([0, 7, 8, 9, 10, 20, 21, 23]), minute=rng.choice([0, 15, 29, 31, 59])
        )
        kind = rng.choice(["earned", "earned", "goodwill", "redeemed", "expired", "adjusted"])
        points = rng.randrange(1, 500) * (-1 if kind in ("redeemed", "expired") else 1)
        rows.append({"user_id": user_id, "kind": kind, "points": points, "created_at": min(at, NOW)})
    db.session.execute(insert(Entry), rows)
    db.session.commit()


def months_entry_by_entry(user_id: int) -> list[tuple[object, int, int]]:
    first = month_start(NOW - timedelta(days=365))
    sums: dict[object, list[int]] = {}
    for at, points in db.session.execute(
        select(Entry.created_at, Entry.points).where(Entry.user_id == user_id)
    ):
        month = month_start(at)
        if month >= first:
            bucket = sums.setdefault(month, [0, 0])
            bucket[0 if points > 0 else 1] += abs(points)
    return [(month, gained, spent) for month, (gained, spent) in sorted(sums.items())]


@pytest.mark.parametrize(("zone", "calendar"), READERS)
def test_months_on_the_chart_equal_the_ledger_read_entry_by_entry(app, make_user, zone, calendar):
    person = make_user()
    with app.test_request_context(), force_zone(zone), force_calendar(calendar):
        seed_history(person.id)
        shown = [(m.month, m.gained, m.spent) for m in totals.monthly_totals(person.id, now=NOW)]
        assert shown == months_entry_by_entry(person.id)
        assert len(shown) == 13


def test_a_point_earned_half_an_hour_into_azar_is_in_azar_for_a_tehran_reader(app, make_user):
    person = make_user()
    with app.test_request_context(), force_zone("Asia/Tehran"), force_calendar("persian"):
        db.session.execute(
            insert(Entry),
            [
                {
                    "user_id": person.id,
                    "kind": "earned",
                    "points": 7,
                    "created_at": datetime(2026, 11, 21, 20, 0),
                },
                {
                    "user_id": person.id,
                    "kind": "earned",
                    "points": 5,
                    "created_at": datetime(2026, 11, 21, 21, 0),
                },
            ],
        )
        db.session.commit()
        shown = [(m.month.isoformat(), m.gained) for m in totals.monthly_totals(person.id, now=NOW)]
    # 1 Aban 1405 is 23 October; 1 Azar is 22 November.
    assert shown == [("2026-10-23", 7), ("2026-11-22", 5)]


def test_the_rolling_year_counts_from_the_very_minute(app, make_user):
    person = make_user()
    since = NOW - timedelta(days=365)
    with app.app_context():
        db.session.execute(
            insert(Entry),
            [
                {
                    "user_id": person.id,
                    "kind": "earned",
                    "points": 100,
                    "created_at": since - timedelta(minutes=1),
                },
                {
                    "user_id": person.id,
                    "kind": "earned",
                    "points": 10,
                    "created_at": since + timedelta(minutes=1),
                },
                {
                    "user_id": person.id,
                    "kind": "goodwill",
                    "points": 1,
                    "created_at": NOW - timedelta(days=3),
                },
                {
                    "user_id": person.id,
                    "kind": "adjusted",
                    "points": 1000,
                    "created_at": NOW - timedelta(days=3),
                },
            ],
        )
        db.session.commit()
        assert totals.points_last_year(person.id, tiers.QUALIFYING_KINDS, now=NOW) == 11


def test_the_rolling_year_equals_the_ledger_for_a_long_history(app, make_user):
    person = make_user()
    with app.app_context():
        seed_history(person.id, seed=11)
        since = NOW - timedelta(days=365)
        expected = sum(
            db.session.scalars(
                select(Entry.points).where(
                    Entry.user_id == person.id,
                    Entry.created_at >= since,
                    Entry.kind.in_(tiers.QUALIFYING_KINDS),
                )
            )
        )
        assert totals.points_last_year(person.id, tiers.QUALIFYING_KINDS, now=NOW) == expected


def test_every_way_points_move_keeps_the_totals_equal_to_the_ledger(app, make_user):
    person = make_user()
    other = make_user()
    with app.app_context():
        ledger.credit(person.id, 300, "earned", reason="purchase")
        ledger.credit(other.id, 40, "goodwill", reason="sorry")
        db.session.add(Reward(title="Coffee", cost=120, stock=5, per_customer_limit=3))
        db.session.commit()
        reward_id = db.session.scalar(select(Reward.id))
        rewards.redeem(person.id, reward_id, request_key="first")
        db.session.commit()
        lot = ledger.credit(person.id, 5, "earned", source="soon-expired")
        db.session.execute(
            update(Entry).where(Entry.id == lot.id).values(expires_at=datetime.utcnow() - timedelta(days=1))
        )
        db.session.commit()
        assert ledger.expire_due() > 0
        db.session.commit()
        assert totals.differences() == 0
        days = db.session.execute(
            select(DailyTotal.kind, DailyTotal.gained, DailyTotal.spent).where(
                DailyTotal.user_id == person.id
            )
        ).all()
        assert {(kind, gained, spent) for kind, gained, spent in days if gained or spent} >= {
            ("earned", 305, 0),
            ("redeemed", 0, 120),
        }
        assert any(kind == "expired" and spent > 0 for kind, _gained, spent in days)
        contributions.erase_data(db.session.get(User, person.id))
        db.session.commit()
        assert (
            db.session.scalars(select(DailyTotal.user_id).where(DailyTotal.user_id == person.id)).all() == []
        )
        assert totals.differences() == 0


def test_reconcile_finds_a_tampered_total_and_repair_rebuilds_it_from_the_ledger(app, make_user):
    person = make_user()
    with app.app_context():
        ledger.credit(person.id, 80, "earned")
        db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["loyalty", "reconcile"]).exit_code == 0
    with app.app_context():
        db.session.execute(update(DailyTotal).where(DailyTotal.user_id == person.id).values(gained=999))
        db.session.commit()
    found = runner.invoke(args=["loyalty", "reconcile"])
    assert found.exit_code == 1
    assert "1 daily totals differ from the ledger" in found.output
    repaired = runner.invoke(args=["loyalty", "reconcile", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    with app.app_context():
        assert db.session.scalar(select(DailyTotal.gained).where(DailyTotal.user_id == person.id)) == 80
        assert tiers.earned_last_year(person.id) == 80


def test_an_entry_corrected_by_hand_moves_its_points_to_its_new_day(app, make_user):
    person = make_user()
    other = make_user()
    with app.app_context():
        entry = ledger.credit(person.id, 30, "earned", source="to-correct")
        db.session.commit()
        db.session.execute(
            update(Entry)
            .where(Entry.id == entry.id)
            .values(created_at=NOW - timedelta(days=40), points=25, kind="goodwill", user_id=other.id)
        )
        db.session.commit()
        assert totals.differences() == 0
        assert totals.points_last_year(person.id, tiers.QUALIFYING_KINDS) == 0
        assert totals.points_last_year(other.id, ["goodwill"], now=NOW) == 25
