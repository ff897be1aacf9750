"""Loyalty under simultaneous requests: each thing that pays, notifies or counts happens exactly once.

Every test starts N attempts behind one barrier, each on its own database connection, and checks the
effect once they are all done: one credit, one notification, one event; and always the ledger's sum
equal to the cached balance, with nothing for ``ledger.reconcile()`` to report.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plugins.loyalty import ledger
from plugins.loyalty.ledger import LedgerError
from plugins.loyalty.models import Account, Entry, Redemption, Reward
from portal.audit import AuditEvent
from portal.events import StoredEvent
from portal.notifications.models import Notification
from portal.plugin import db, set_setting, utcnow
from portal.testing import csrf_token
from portal.testing.races import race, race_in_app, same_browser

pytestmark = pytest.mark.plugins("loyalty")

ATTEMPTS = 8


def assert_ledger_agrees(app, user_id: int, balance: int) -> None:
    with app.app_context():
        summed = db.session.scalar(select(func.sum(Entry.points)).where(Entry.user_id == user_id)) or 0
        assert ledger.balance(user_id) == summed == balance
        assert ledger.reconcile() == []


def count(app, query) -> int:
    with app.app_context():
        return db.session.scalar(query) or 0


def events_named(name: str):
    return select(func.count()).select_from(StoredEvent).where(StoredEvent.name == name)


def post_all(tabs, url: str, data: dict[str, str]) -> list[int]:
    tokens = [csrf_token(tab) for tab in tabs]
    return race(len(tabs), lambda n: tabs[n].post(url, data={"csrf_token": tokens[n], **data}).status_code)


def test_one_purchase_reference_posted_at_once_credits_once(app, client, login_as, make_user):
    person = make_user()
    login_as("agent")
    tabs = same_browser(client, ATTEMPTS)
    url = f"/staff/loyalty/customers/{person.id}/purchase"
    tokens = [csrf_token(tab) for tab in tabs]
    statuses = race(  # a different form (request key) in each tab, one receipt number
        ATTEMPTS,
        lambda n: (
            tabs[n]
            .post(
                url,
                data={"csrf_token": tokens[n], "amount": "120", "reference": "R-9", "request_key": f"k{n}"},
            )
            .status_code
        ),
    )
    assert statuses == [303] * ATTEMPTS
    assert count(app, select(func.count()).select_from(Entry).where(Entry.user_id == person.id)) == 1
    assert count(app, events_named("loyalty.points_earned")) == 1
    assert_ledger_agrees(app, person.id, 120)


def test_one_purchase_form_without_a_reference_posted_at_once_credits_once(app, client, login_as, make_user):
    person = make_user()
    login_as("agent")
    url = f"/staff/loyalty/customers/{person.id}/purchase"
    assert (
        post_all(same_browser(client, ATTEMPTS), url, {"amount": "80", "request_key": "one-form"})
        == [303] * ATTEMPTS
    )
    assert count(app, select(func.count()).select_from(Entry).where(Entry.user_id == person.id)) == 1
    assert_ledger_agrees(app, person.id, 80)


def test_one_goodwill_form_posted_at_once_grants_and_is_logged_once(app, client, login_as, make_user):
    person = make_user()
    login_as("agent")
    url = f"/staff/loyalty/customers/{person.id}/goodwill"
    data = {"points": "150", "reason": "Parcel lost", "request_key": "same-key"}
    assert post_all(same_browser(client, ATTEMPTS), url, data) == [303] * ATTEMPTS
    assert count(app, select(func.count()).select_from(Entry).where(Entry.user_id == person.id)) == 1
    granted = (
        select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "loyalty.goodwill_granted")
    )
    assert count(app, granted) == 1
    assert_ledger_agrees(app, person.id, 150)


def test_credits_crossing_a_tier_at_once_change_the_tier_and_tell_the_customer_once(app, make_user):
    person = make_user()
    with app.app_context():
        set_setting("loyalty", "tier_silver_threshold", 100, actor_id=None)
        ledger.credit(person.id, 50, "earned", source="start")
        db.session.commit()

    def earn(number: int):
        ledger.credit(person.id, 60, "earned", source=f"race:{number}")
        db.session.commit()

    outcomes = race_in_app(app, ATTEMPTS, earn)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert count(app, events_named("loyalty.tier_changed")) == 1
    told = select(func.count()).select_from(Notification).where(Notification.kind == "loyalty.tier")
    assert count(app, told) == 1
    with app.app_context():
        assert db.session.get(Account, person.id).tier == "silver"
    assert_ledger_agrees(app, person.id, 50 + 60 * ATTEMPTS)


def test_the_daily_tier_refresh_run_twice_at_once_tells_each_customer_once(app, make_user):
    person = make_user()
    with app.app_context():
        ledger.credit(person.id, 600, "earned")  # silver by default
        db.session.commit()
        set_setting("loyalty", "tier_silver_threshold", 1000, actor_id=None)  # now back to bronze
        db.session.commit()

    def refresh(_number: int) -> int:
        changed = ledger.refresh_all_tiers()
        db.session.commit()
        return changed

    outcomes = race_in_app(app, ATTEMPTS, refresh)
    assert sorted(outcomes) == [0] * (ATTEMPTS - 1) + [1]
    assert count(app, events_named("loyalty.tier_changed")) == 2  # up to silver, then down once


def test_expiry_reminders_sent_at_once_reach_the_customer_once(app, make_user):
    person = make_user()
    with app.app_context():
        ledger.credit(person.id, 70, "earned", now=utcnow() - timedelta(days=720))  # expires in ~10 days
        db.session.commit()

    def remind(_number: int) -> int:
        sent = ledger.remind_expiring()
        db.session.commit()
        return sent

    outcomes = race_in_app(app, ATTEMPTS, remind)
    assert sorted(outcomes) == [0] * (ATTEMPTS - 1) + [1]
    told = select(func.count()).select_from(Notification).where(Notification.kind == "loyalty.expiry")
    assert count(app, told) == 1


def test_expiry_run_twice_at_once_expires_each_lot_once(app, make_user):
    person = make_user()
    with app.app_context():
        ledger.credit(person.id, 90, "earned", now=utcnow() - timedelta(days=800))  # expired
        ledger.credit(person.id, 40, "earned")
        db.session.commit()

    def expire(_number: int) -> int:
        total = ledger.expire_due()
        db.session.commit()
        return total

    outcomes = race_in_app(app, ATTEMPTS, expire)
    assert sorted(outcomes) == [0] * (ATTEMPTS - 1) + [90]
    assert count(app, events_named("loyalty.points_expired")) == 1
    assert_ledger_agrees(app, person.id, 40)


def test_expiry_racing_redemptions_takes_only_the_points_that_were_due(app, make_user):
    person = make_user()
    with app.app_context():
        ledger.credit(person.id, 100, "earned", now=utcnow() - timedelta(days=800))  # due to expire
        ledger.credit(person.id, 300, "earned")
        reward = Reward(title="Mug", cost=60, stock=10)
        db.session.add(reward)
        db.session.commit()
        reward_id = reward.id

    def attempt(number: int):
        if number == 0:
            result = ledger.expire_due()
        else:
            try:
                result = rewards_redeem(person.id, reward_id, f"r{number}")
            except LedgerError as error:
                db.session.rollback()
                return str(error)
        db.session.commit()
        return result

    outcomes = race_in_app(app, 4, attempt)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    with app.app_context():
        redeemed = db.session.scalar(select(func.count()).select_from(Redemption)) or 0
        expiry = db.session.scalar(select(Entry).where(Entry.kind == "expired"))
        expired = -expiry.points if expiry else 0
        # Each change is written under the account's lock, so entry ids follow the order they ran in.
        # Redemptions take the oldest points first: what the ones before the expiry left of the 100
        # due points expires, and never a point of the 300 that are not due.
        redeemed_before = db.session.scalar(
            select(func.count())
            .select_from(Entry)
            .where(Entry.kind == "redeemed", Entry.id < (expiry.id if expiry else 0))
        )
        assert expired == (max(0, 100 - 60 * redeemed_before) if expiry else 0)
        balance = 400 - 60 * redeemed - expired
    assert_ledger_agrees(app, person.id, balance)


def rewards_redeem(user_id: int, reward_id: int, key: str):
    from plugins.loyalty import rewards

    return rewards.redeem(user_id, reward_id, key).id
