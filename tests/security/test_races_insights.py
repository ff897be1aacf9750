"""Insights under concurrency: a stage set from several tabs, and a refresh racing other transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, insert, select, update

from plugins.insights import refresh as refresh_module
from plugins.insights.models import Complaint, Profile, StageChange
from plugins.insights.refresh import assess_customers, refresh
from plugins.insights.settings import thresholds
from portal.accounts.models import User
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.testing import create_user, csrf_token
from portal.testing.races import race, same_browser

pytestmark = pytest.mark.plugins("insights", "tickets")

ATTEMPTS = 8


def test_the_same_stage_set_from_eight_tabs_at_once_moves_once(app, client, login_as):
    customer = create_user(app)
    with app.app_context():
        refresh()
        db.session.commit()
        before = db.session.get(Profile, customer.id).stage
    assert before != "commitment"
    login_as("agent")
    tabs = same_browser(client, ATTEMPTS)
    tokens = [csrf_token(tab) for tab in tabs]
    url = f"/staff/insights/customers/{customer.id}/stage"
    statuses = race(
        ATTEMPTS,
        lambda n: (
            tabs[n]
            .post(
                url,
                data={"csrf_token": tokens[n], "stage": "commitment", "reason": "Signed a yearly contract"},
            )
            .status_code
        ),
    )
    assert all(status == 303 for status in statuses), statuses
    with app.app_context():
        profile = db.session.get(Profile, customer.id)
        assert (profile.stage, profile.stage_overridden) == ("commitment", True)
        by_staff = (
            select(func.count())
            .select_from(StageChange)
            .where(StageChange.customer_id == customer.id, StageChange.actor_id.is_not(None))
        )
        assert db.session.scalar(by_staff) == 1
        announced = (
            select(func.count()).select_from(StoredEvent).where(StoredEvent.name == "insights.stage_changed")
        )
        assert db.session.scalar(announced) == 1


# --- the refresh against transactions that commit while it runs -------------------------------------


def complaint_opened(ticket_id: int, customer_id: int, category: str = "complaint") -> dict[str, object]:
    """A ``tickets.created`` row as the tickets plugin stores it."""
    return {
        "name": "tickets.created",
        "payload": {"ticket_id": ticket_id, "customer_id": customer_id, "category": category}
        | {"priority": "normal"},
        "customer_id": customer_id,
        "actor_id": customer_id,
        "created_at": utcnow(),
    }


@contextmanager
def id_taken_now_committed_later(app: Flask, late: dict[str, object]) -> Iterator[Callable[[dict], None]]:
    """Store ``late`` with an id taken before the block but visible only after it.

    Yields how to store a newer event meanwhile, committed at once. On PostgreSQL a second connection
    inserts ``late`` and commits when the block ends, as a slow request does while quicker ones commit
    events with higher ids. SQLite has one writer at a time, so there the id is left free, newer rows
    are stored above it, and ``late`` takes it at the end: what a reader sees is the same, a gap below
    newer events that fills later.
    """
    table = StoredEvent.__table__
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as slow:
                slow.execute(insert(table).values(late))
                yield lambda row: _store(insert(table).values(row))
                slow.commit()
            return
        held = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        newer = iter(range(held + 1, held + 100))
        yield lambda row: _store(insert(table).values({**row, "id": next(newer)}))
        _store(insert(table).values({**late, "id": held}))


def _store(statement) -> None:
    db.session.execute(statement)
    db.session.commit()


def test_an_event_committed_after_newer_ones_is_still_read(app):
    unhappy, other = create_user(app).id, create_user(app).id
    with app.app_context():
        refresh()
        db.session.commit()
    with id_taken_now_committed_later(app, complaint_opened(7001, unhappy)) as store_newer:
        store_newer(complaint_opened(7002, other, category="question"))
        refresh()
        db.session.commit()
        assert db.session.get(Complaint, 7001) is None, "not committed yet: nothing to read"
    with app.app_context():
        refresh()
        db.session.commit()
        assert db.session.scalar(select(Complaint.customer_id).where(Complaint.ticket_id == 7001)) == unhappy


def test_a_stage_set_by_hand_during_a_refresh_is_not_overwritten(app, monkeypatch):
    customer_id = create_user(app).id
    with app.app_context():
        refresh()
        db.session.commit()
        before = db.session.get(Profile, customer_id).stage
        db.session.execute(
            update(User).where(User.id == customer_id).values(last_login_at=utcnow() - timedelta(days=400))
        )
        db.session.commit()
    assert before != "commitment"
    gather_now = refresh_module.gather

    def staff_set_the_stage_meanwhile(*args, **kwargs):
        gathered = gather_now(*args, **kwargs)
        with db.engine.begin() as other_request:
            other_request.execute(
                update(Profile.__table__)
                .where(Profile.__table__.c.customer_id == customer_id)
                .values(stage="commitment", stage_overridden=True)
            )
        return gathered

    monkeypatch.setattr(refresh_module, "gather", staff_set_the_stage_meanwhile)
    with app.app_context():
        assess_customers([customer_id], thresholds(), utcnow())
        db.session.commit()
        profile = db.session.get(Profile, customer_id)
        assert (profile.stage, profile.stage_overridden) == ("commitment", True)
        by_rules = (
            select(func.count())
            .select_from(StageChange)
            .where(StageChange.customer_id == customer_id, StageChange.actor_id.is_(None))
        )
        assert db.session.scalar(by_rules) == 1, "only the first placement, not a move the override undid"
        announced = (
            select(func.count()).select_from(StoredEvent).where(StoredEvent.name == "insights.stage_changed")
        )
        assert db.session.scalar(announced) == 0
