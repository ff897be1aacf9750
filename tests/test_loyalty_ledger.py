"""The ledger's promises, for any sequence of changes and under concurrent redemptions."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from plugins.loyalty import ledger, rewards
from plugins.loyalty.ledger import InsufficientPointsError, LedgerError
from plugins.loyalty.models import Account, Entry, Redemption, Reward
from portal.plugin import db, utcnow

pytestmark = pytest.mark.plugins("loyalty")

operation = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 500), st.integers(0, 800)),
    st.tuples(st.just("redeem"), st.integers(1, 600), st.just(0)),
    st.tuples(st.just("adjust_down"), st.integers(1, 300), st.just(0)),
    st.tuples(st.just("adjust_up"), st.integers(1, 300), st.just(0)),
    st.tuples(st.just("reverse"), st.integers(1, 200), st.just(0)),
    st.tuples(st.just("expire"), st.integers(0, 900), st.just(0)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_any_sequence_keeps_balance_equal_to_sum_never_negative_oldest_expire_first(
    app, make_user, operations
):
    person = make_user()
    start = utcnow() - timedelta(days=1000)
    with app.app_context():
        model_lots: list[list] = []  # [expires_at, remaining], a model of what should be left
        for op, points, age in operations:
            if op == "earn":
                # earned ``age`` days after the start, expiring 24 months later (the default)
                when = start + timedelta(days=age)
                entry = ledger.credit(person.id, points, "earned", now=when)
                model_lots.append([entry.expires_at, points])
            elif op in ("adjust_up", "reverse"):
                entry = ledger.credit(
                    person.id, points, "adjusted" if op == "adjust_up" else "reversed", now=start
                )
                model_lots.append([entry.expires_at, points])
            elif op in ("redeem", "adjust_down"):
                before = ledger.balance(person.id)
                try:
                    ledger.debit(person.id, points, "redeemed" if op == "redeem" else "adjusted")
                except InsufficientPointsError:
                    assert points > before
                    continue
                for lot in sorted(model_lots, key=lambda lot: lot[0]):
                    take = min(lot[1], points)
                    lot[1] -= take
                    points -= take
            else:  # expire everything due ``age`` days after the start
                moment = start + timedelta(days=age)
                expired = ledger.expire_due(moment)
                due = sum(lot[1] for lot in model_lots if lot[0] <= moment)
                assert expired == due, "exactly the due lots expire, oldest first"
                for lot in model_lots:
                    if lot[0] <= moment:
                        lot[1] = 0
            db.session.commit()
            cached = ledger.balance(person.id)
            summed = db.session.scalar(select(func.sum(Entry.points)).where(Entry.user_id == person.id)) or 0
            assert cached == summed >= 0
            assert cached == sum(lot[1] for lot in model_lots)
        assert ledger.reconcile() == []


@pytest.mark.parametrize("threads, affordable", [(8, 3)])
def test_concurrent_redemptions_exactly_the_affordable_number_succeed(app, make_user, threads, affordable):
    person = make_user()
    with app.app_context():
        reward = Reward(title="Cinema ticket", cost=100, stock=threads)
        db.session.add(reward)
        ledger.credit(person.id, 100 * affordable, "earned")
        db.session.commit()
        reward_id = reward.id
    barrier = threading.Barrier(threads)
    results: list[str] = []
    lock = threading.Lock()

    def attempt(number: int) -> None:
        with app.app_context():  # its own session and connection
            barrier.wait()
            try:
                rewards.redeem(person.id, reward_id, f"key-{number}")
                db.session.commit()
                outcome = "ok"
            except LedgerError as error:
                db.session.rollback()
                outcome = str(error)
            with lock:
                results.append(outcome)

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert results.count("ok") == affordable, results
    assert all(r == "You do not have enough points for this." for r in results if r != "ok")
    with app.app_context():
        assert ledger.balance(person.id) == 0
        assert db.session.get(Reward, reward_id).stock == threads - affordable
        count = db.session.scalar(
            select(func.count()).select_from(Redemption).where(Redemption.user_id == person.id)
        )
        assert count == affordable
        assert db.session.get(Account, person.id).balance == 0
        assert ledger.reconcile() == []


def test_concurrent_customers_never_take_stock_below_zero(app, make_user):
    people = [make_user() for _ in range(6)]
    with app.app_context():
        reward = Reward(title="Signed book", cost=50, stock=2)
        db.session.add(reward)
        for person in people:
            ledger.credit(person.id, 50, "earned")
        db.session.commit()
        reward_id = reward.id
    barrier = threading.Barrier(len(people))
    results: list[str] = []
    lock = threading.Lock()

    def attempt(user_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                rewards.redeem(user_id, reward_id, "same-key-each-customer")
                db.session.commit()
                outcome = "ok"
            except LedgerError as error:
                db.session.rollback()
                outcome = str(error)
            with lock:
                results.append(outcome)

    workers = [threading.Thread(target=attempt, args=(person.id,)) for person in people]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert results.count("ok") == 2, results
    assert results.count("Sorry, this reward is out of stock.") == 4
    with app.app_context():
        assert db.session.get(Reward, reward_id).stock == 0
        assert sum(ledger.balance(person.id) for person in people) == 4 * 50, "refused ones keep their points"
        assert ledger.reconcile() == []
