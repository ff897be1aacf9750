"""The insights plugin: stages, grades and risk from hand-built histories, as staff read and act on them.

The rules are checked first as plain functions on signals made by hand, edge cases included; then
through the real thing: events stored as the other plugins store them (with their times moved
back), the refresh and the grading run as the tick runs them, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugins.insights.grading import grade_values, regrade
from plugins.insights.models import Profile, StageChange
from plugins.insights.refresh import refresh
from plugins.insights.rules import Signals, assess, describe_reason
from plugins.insights.settings import Thresholds
from portal.accounts.models import User
from portal.core_events import UserRegistered
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.organizations.membership import add_member, create_organization
from portal.testing import TEST_PASSWORD, create_user, csrf_token, log_in
from portal.testing.events import emit_as_owner

pytestmark = pytest.mark.plugins("insights", "loyalty", "tickets")

NOW = datetime(2026, 12, 1, 12, 0)
LIMITS = Thresholds(
    window_days=365,
    expansion_purchases=3,
    commitment_days=365,
    grade_a_share=80,
    grade_b_share=95,
    silence_days=90,
    complaint_target_days=7,
    overdue_complaints=2,
    low_rating=2,
)


def signals(**fields) -> Signals:
    base = {
        "joined_at": NOW - timedelta(days=30),
        "verified": True,
        "last_active_at": NOW - timedelta(days=1),
    }
    return Signals(**{**base, **fields})


# --- the rules, by hand -------------------------------------------------------------------------


def test_no_activity_at_all_is_awareness_and_then_never_returned():
    fresh = signals(verified=False, last_active_at=None, joined_at=NOW - timedelta(days=3))
    assert assess(fresh, LIMITS, NOW).stage == "awareness"
    forgotten = signals(verified=True, last_active_at=None, joined_at=NOW - timedelta(days=200))
    outcome = assess(forgotten, LIMITS, NOW)
    assert outcome.stage == "dissolution"
    assert outcome.reasons == [{"code": "never_returned", "days": 200}]


def test_a_visit_is_exploration_and_repeated_purchases_or_a_tier_move_are_expansion():
    assert assess(signals(), LIMITS, NOW).stage == "exploration"
    assert assess(signals(purchases=3), LIMITS, NOW).stage == "expansion"
    assert assess(signals(tier_ups=1), LIMITS, NOW).stage == "expansion"
    assert assess(signals(documents_used=3), LIMITS, NOW).stage == "expansion"


def test_a_single_large_purchase_is_still_exploration_even_at_grade_a():
    big = signals(purchases=1, value=50_000, grade="A", joined_at=NOW - timedelta(days=800))
    assert assess(big, LIMITS, NOW).stage == "exploration"


def test_commitment_takes_tenure_a_high_grade_and_repeated_purchases():
    loyal = signals(purchases=5, grade="A", joined_at=NOW - timedelta(days=400))
    assert assess(loyal, LIMITS, NOW).stage == "commitment"
    assert (
        assess(signals(purchases=5, grade="C", joined_at=NOW - timedelta(days=400)), LIMITS, NOW).stage
        == "expansion"
    )
    assert (
        assess(signals(purchases=5, grade="A", joined_at=NOW - timedelta(days=100)), LIMITS, NOW).stage
        == "expansion"
    )


def test_signs_of_leaving_come_first_with_every_reason():
    drifting = signals(
        purchases=9,
        grade="A",
        joined_at=NOW - timedelta(days=900),
        last_active_at=NOW - timedelta(days=120),
        overdue_complaints=2,
        lowest_recent_rating=1,
    )
    outcome = assess(drifting, LIMITS, NOW)
    assert outcome.stage == "dissolution"
    assert [reason["code"] for reason in outcome.reasons] == ["silent", "complaints_overdue", "low_rating"]
    assert assess(signals(overdue_complaints=1), LIMITS, NOW).reasons == [], (
        "one late complaint is not yet a flag"
    )
    assert assess(signals(lowest_recent_rating=3), LIMITS, NOW).reasons == []


def test_reasons_read_as_sentences(app):
    with app.test_request_context():
        assert describe_reason({"code": "silent", "days": 120}) == "no visit for 120 days"
        assert describe_reason({"code": "complaints_overdue", "count": 2, "days": 7}) == (
            "2 complaints unresolved past their target of 7 days"
        )
        assert describe_reason({"code": "low_rating", "rating": 1}) == "rated a ticket 1 of 5"


def test_grades_follow_pareto_shares():
    grades = grade_values({1: 800, 2: 100, 3: 50, 4: 50, 5: 0}, LIMITS)
    assert grades == {1: "A", 2: "B", 3: "B", 4: "C", 5: "C"}
    assert grade_values({1: 1000, 2: 0, 3: 0}, LIMITS) == {1: "A", 2: "C", 3: "C"}, "one large purchase"
    assert grade_values({1: 0, 2: 0}, LIMITS) == {1: "C", 2: "C"}, "nobody earned anything"
    assert grade_values({}, LIMITS) == {}


# --- through events, refresh and grading ---------------------------------------------------------


def backdate(app: Flask, name: str, customer_id: int, days: int) -> None:
    """Move the customer's latest event of ``name`` back in time, as if it happened ``days`` ago."""
    with app.app_context():
        latest = db.session.scalar(
            select(StoredEvent.id)
            .where(StoredEvent.name == name, StoredEvent.customer_id == customer_id)
            .order_by(StoredEvent.id.desc())
        )
        db.session.execute(
            update(StoredEvent)
            .where(StoredEvent.id == latest)
            .values(created_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()


def purchase(app: Flask, customer_id: int, points: int, days_ago: int = 10) -> None:
    from plugins.loyalty.events import PointsEarned, PurchaseRecorded

    with app.app_context():
        emit_as_owner(
            PointsEarned(user_id=customer_id, points=points, kind="earned", entry_id=1), customer_id
        )
        emit_as_owner(
            PurchaseRecorded(
                user_id=customer_id, entry_id=1, points=points, amount_cents=points, reference=""
            ),
            customer_id,
        )
        db.session.commit()
    backdate(app, "loyalty.points_earned", customer_id, days_ago)
    backdate(app, "loyalty.purchase_recorded", customer_id, days_ago)


def complaint(app: Flask, ticket_id: int, customer_id: int, days_ago: int) -> None:
    from plugins.tickets.events import TicketCreated

    with app.app_context():
        emit_as_owner(
            TicketCreated(
                ticket_id=ticket_id, customer_id=customer_id, category="complaint", priority="normal"
            ),
            customer_id,
            actor_id=customer_id,
        )
        db.session.commit()
    backdate(app, "tickets.created", customer_id, days_ago)


def run(app: Flask) -> None:
    with app.app_context():
        refresh()
        regrade()
        db.session.commit()


def profile_of(app: Flask, customer_id: int) -> Profile:
    with app.app_context():
        found = db.session.get(Profile, customer_id)
        assert found is not None
        db.session.expunge(found)
        return found


def customer(app: Flask, joined_days_ago: int = 30, visited_days_ago: int | None = 1, **fields) -> int:
    made = create_user(app, **fields)
    with app.app_context():
        user = db.session.get(User, made.id)
        user.created_at = utcnow() - timedelta(days=joined_days_ago)
        user.last_login_at = (
            utcnow() - timedelta(days=visited_days_ago) if visited_days_ago is not None else None
        )
        db.session.commit()
    return made.id


def test_hand_built_histories_place_each_customer(app):
    loyal = customer(app, joined_days_ago=500)
    for _ in range(4):
        purchase(app, loyal, points=2000)
    newcomer = customer(app, joined_days_ago=5)
    one_big = customer(app, joined_days_ago=700)
    purchase(app, one_big, points=9000)
    silent = customer(app, joined_days_ago=400, visited_days_ago=120)
    run(app)

    assert profile_of(app, loyal).stage == "commitment"
    assert profile_of(app, loyal).grade == "A"
    assert profile_of(app, newcomer).stage == "exploration"
    assert (profile_of(app, newcomer).grade, profile_of(app, newcomer).value) == ("C", 0)
    assert profile_of(app, one_big).stage == "exploration"
    assert profile_of(app, one_big).grade in ("A", "B")
    quiet = profile_of(app, silent)
    assert quiet.stage == "dissolution" and quiet.at_risk
    assert quiet.risk_reasons == [{"code": "silent", "days": 120}]


def test_purchases_older_than_the_window_do_not_count(app):
    lapsed = customer(app, joined_days_ago=900)
    for _ in range(4):
        purchase(app, lapsed, points=500, days_ago=400)
    run(app)
    assert profile_of(app, lapsed).stage == "exploration"
    assert profile_of(app, lapsed).value == 0


def test_an_organization_member_is_placed_by_their_own_activity(app):
    manager = customer(app, joined_days_ago=50)
    member = customer(app, joined_days_ago=50)
    with app.app_context():
        organization = create_organization("Atlas Ltd", "company", actor_id=None)
        add_member(organization, db.session.get(User, manager), "manager", actor_id=None, via="test")
        add_member(organization, db.session.get(User, member), "member", actor_id=None, via="test")
        db.session.commit()
    for _ in range(3):
        purchase(app, manager, points=300)
    run(app)
    assert profile_of(app, manager).stage == "expansion"
    assert profile_of(app, member).stage == "exploration", "the manager's purchases are the manager's"


def test_unresolved_complaints_flag_and_resolving_one_clears_it_with_an_event(app):
    from plugins.tickets.events import TicketResolved

    unhappy = customer(app)
    complaint(app, 9001, unhappy, days_ago=10)
    complaint(app, 9002, unhappy, days_ago=9)
    run(app)
    flagged = profile_of(app, unhappy)
    assert flagged.stage == "dissolution"
    assert flagged.risk_reasons == [{"code": "complaints_overdue", "count": 2, "days": 7}]

    with app.app_context():
        emit_as_owner(TicketResolved(ticket_id=9001, customer_id=unhappy), unhappy)
        db.session.commit()
        refresh()
        db.session.commit()
    assert profile_of(app, unhappy).stage == "exploration" and not profile_of(app, unhappy).at_risk
    with app.app_context():
        changes = db.session.scalars(
            select(StageChange.new_stage).where(StageChange.customer_id == unhappy).order_by(StageChange.id)
        ).all()
        moved = db.session.scalars(
            select(StoredEvent.payload).where(StoredEvent.name == "insights.stage_changed")
        ).all()
    assert changes == ["dissolution", "exploration"]
    assert moved == [
        {"customer_id": unhappy, "old_stage": "dissolution", "new_stage": "exploration", "by_staff": False}
    ]


def test_time_alone_moves_a_customer_when_their_review_comes(app):
    visitor = customer(app, joined_days_ago=200, visited_days_ago=80)
    run(app)
    assert profile_of(app, visitor).stage == "exploration"
    with app.app_context():
        review_at = db.session.get(Profile, visitor).review_at
        assert review_at is not None and review_at <= utcnow() + timedelta(days=11)
        db.session.execute(
            update(User).where(User.id == visitor).values(last_login_at=utcnow() - timedelta(days=95))
        )
        db.session.execute(update(Profile).where(Profile.customer_id == visitor).values(review_at=utcnow()))
        db.session.commit()
        refresh()
        db.session.commit()
    assert profile_of(app, visitor).stage == "dissolution"


def test_switched_off_it_misses_nothing_and_catches_up_when_on_again(app):
    early = customer(app)
    run(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["plugins", "disable", "insights"]).exit_code == 0
    late = customer(app, joined_days_ago=1)
    with app.app_context():
        emit_as_owner(UserRegistered(user_id=late), customer_id=late)
        db.session.commit()
    for _ in range(3):
        purchase(app, early, points=100)
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert profile_of(app, early).stage == "exploration", "the tick ran nothing of a switched-off plugin"
    assert runner.invoke(args=["plugins", "enable", "insights"]).exit_code == 0
    run(app)
    assert profile_of(app, early).stage == "expansion"
    assert profile_of(app, late).stage == "exploration"


# --- staff pages -----------------------------------------------------------------------------------


def test_staff_see_the_valuable_customers_at_risk_first_and_set_a_stage_with_a_reason(app, client):
    big = customer(app, joined_days_ago=400, visited_days_ago=100, name="Bita Big")
    purchase(app, big, points=5000, days_ago=100)
    small = customer(app, joined_days_ago=400, visited_days_ago=100, name="Sami Small")
    purchase(app, small, points=50, days_ago=100)
    customer(app, name="Cora Content")
    run(app)

    agent = create_user(app, role="agent")
    log_in(client, agent.email, TEST_PASSWORD)
    page = client.get("/staff/insights/at-risk").get_data(as_text=True)
    assert page.index("Bita Big") < page.index("Sami Small"), "the most valuable first"
    assert "Cora Content" not in page
    assert "no visit for 100 days" in page

    panel = client.get(f"/staff/customers/{big}").get_data(as_text=True)
    assert "At risk" in panel and "no visit for 100 days" in panel
    set_stage = client.post(
        f"/staff/insights/customers/{big}/stage",
        data={
            "csrf_token": csrf_token(client),
            "stage": "commitment",
            "reason": "Renewed the yearly contract by phone",
        },
    )
    assert set_stage.status_code == 303
    assert profile_of(app, big).stage == "commitment" and profile_of(app, big).stage_overridden
    panel = client.get(f"/staff/customers/{big}").get_data(as_text=True)
    assert "Set by staff" in panel and "Renewed the yearly contract by phone" in panel
    with app.app_context():
        refresh()
        db.session.commit()
    assert profile_of(app, big).stage == "commitment", "the rules leave an override alone"
    assert profile_of(app, big).at_risk, "the flags stay: they are facts"

    empty = client.post(
        f"/staff/insights/customers/{big}/stage",
        data={"csrf_token": csrf_token(client), "stage": "expansion", "reason": " "},
        follow_redirects=True,
    )
    assert "Say why" in empty.get_data(as_text=True)
    assert profile_of(app, big).stage == "commitment", "a refused form changes nothing"

    release = client.post(
        f"/staff/insights/customers/{big}/stage/release",
        data={"csrf_token": csrf_token(client), "reason": ""},
    )
    assert release.status_code == 303
    assert profile_of(app, big).stage == "dissolution" and not profile_of(app, big).stage_overridden


def test_customers_cannot_reach_the_staff_pages(app, client, login_as):
    login_as("customer")
    assert client.get("/staff/insights/at-risk").status_code == 403
    assert client.get("/staff/insights/rules").status_code == 403


def test_the_rules_page_states_the_numbers_in_force(app, client, login_as):
    login_as("admin")
    page = client.get("/staff/insights/rules").get_data(as_text=True)
    assert "no visit for 90 days" in page.lower() or "90 days" in page
    assert "80%" in page and "95%" in page
