"""A stage set by hand from several tabs at once: one move, one history line, one event."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugins.insights.models import Profile, StageChange
from plugins.insights.refresh import refresh
from portal.database import db
from portal.events import StoredEvent
from portal.testing import create_user, csrf_token
from portal.testing.races import race, same_browser

pytestmark = pytest.mark.plugins("insights")

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
