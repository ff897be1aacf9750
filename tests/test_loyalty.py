"""The loyalty plugin: ledger, earning, goodwill, tiers, rewards, expiry, pages and access."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from plugins.loyalty import awards, contributions, ledger, rewards
from plugins.loyalty.ledger import InsufficientPointsError, LedgerError
from plugins.loyalty.models import Account, EarningRule, Entry, Redemption, Reward
from plugins.surveys.events import SurveyCompleted
from plugins.tickets.events import TicketRated
from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.core_events import EmailVerified
from portal.events import StoredEvent, deliver_event
from portal.plugin import Event, all_segments, customer_fields, db, in_segment, set_setting, utcnow
from portal.testing import TEST_PASSWORD, log_in, post_form, statements_run
from portal.testing.events import emit_as_owner

pytestmark = pytest.mark.plugins("loyalty")


def credit(app: Flask, user_id: int, points: int, kind: str = "earned", **kw: object) -> None:
    with app.app_context():
        ledger.credit(user_id, points, kind, **kw)
        db.session.commit()


def balance_of(app: Flask, user_id: int) -> int:
    with app.app_context():
        return ledger.balance(user_id)


def add_reward(app: Flask, **fields: object) -> int:
    values = {"title": "Coffee", "description": "A coffee", "cost": 100, "stock": 10}
    values.update(fields)
    with app.app_context():
        reward = Reward(**values)
        db.session.add(reward)
        db.session.commit()
        return reward.id


# ---- the ledger -----------------------------------------------------------------------------------


def test_balance_is_the_sum_and_never_negative(app, make_user):
    person = make_user()
    credit(app, person.id, 300)
    with app.app_context():
        ledger.debit(person.id, 120, "adjusted", reason="correction")
        with pytest.raises(InsufficientPointsError, match="enough points"):
            ledger.debit(person.id, 181, "redeemed")
        db.session.commit()
        assert ledger.balance(person.id) == 180
        total = db.session.scalar(select(func.sum(Entry.points)).where(Entry.user_id == person.id))
        assert total == 180
        assert ledger.reconcile() == []


@pytest.mark.parametrize("value", ["-5", "0", "abc", "1.5", "10000001", "1e400", "NaN", "", True])
def test_bad_points_are_refused_with_a_clear_message(app, value):
    with app.app_context(), pytest.raises(LedgerError) as error:
        ledger.parse_points(value)
    assert str(error.value)


@pytest.mark.parametrize("value", ["-1", "0", "x", "100000000", "1.234", "inf"])
def test_bad_amounts_are_refused(app, value):
    with app.app_context(), pytest.raises(LedgerError):
        ledger.parse_amount(value)


def test_same_source_credits_once(app, make_user):
    person = make_user()
    credit(app, person.id, 50, source="import:R1")
    credit(app, person.id, 50, source="import:R1")
    assert balance_of(app, person.id) == 50


def test_reconcile_command_reports_a_tampered_balance(app, make_user):
    person = make_user()
    credit(app, person.id, 40)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["loyalty", "reconcile"]).exit_code == 0
    with app.app_context():
        db.session.get(Account, person.id).balance = 41
        db.session.commit()
    result = runner.invoke(args=["loyalty", "reconcile"])
    assert result.exit_code == 1
    assert "cached balance 41, ledger sum 40" in result.output


def test_expiry_takes_the_oldest_points_first_and_reminds(app, make_user):
    person = make_user()
    now = utcnow()
    with app.app_context():
        set_setting("loyalty", "expiry_months", 12, actor_id=None)
        ledger.credit(person.id, 100, "earned", reason="old", now=now - timedelta(days=400))
        ledger.credit(person.id, 70, "earned", reason="new", now=now - timedelta(days=10))
        ledger.debit(person.id, 30, "redeemed")  # comes out of the oldest lot
        db.session.commit()
        assert ledger.expire_due(now) == 70
        db.session.commit()
        assert ledger.balance(person.id) == 70
        kinds = db.session.scalars(
            select(Entry.kind).where(Entry.user_id == person.id).order_by(Entry.id)
        ).all()
        assert kinds[-1] == "expired"
        assert ledger.expire_due(now) == 0  # nothing twice
        assert ledger.reconcile() == []
        # Twenty days before the remaining lot expires, the customer is reminded once.
        reminded = ledger.remind_expiring(now + timedelta(days=345))
        db.session.commit()
        assert reminded == 1
        assert ledger.remind_expiring(now + timedelta(days=345)) == 0


# ---- earning --------------------------------------------------------------------------------------


def test_events_award_points_once_per_event(app, make_user):
    person = make_user()
    with app.app_context():
        db.session.execute(
            update(EarningRule).where(EarningRule.event_name == "tickets.rated").values(points=15)
        )
        rating = TicketRated(ticket_id=1, customer_id=person.id, rating=5, comment="")
        event = emit_as_owner(rating, customer_id=person.id)
        db.session.commit()
        event_id = event.id
    # Delivered after the commit at the end of the context; a second delivery awards nothing.
    with app.app_context():
        deliver_event(event_id, "loyalty")
        again = Event(
            id=event_id,
            name="tickets.rated",
            payload={},
            customer_id=person.id,
            actor_id=None,
            created_at=utcnow(),
            data=rating,
            fact=rating.fact,
        )
        assert awards.handle_event(again) is None
        db.session.commit()
    assert balance_of(app, person.id) == 15


def test_anonymous_survey_and_switched_off_rule_award_nothing(app, make_user):
    person = make_user()
    with app.app_context():
        emit_as_owner(SurveyCompleted(survey_id=3, response_id=1))
        db.session.execute(
            update(EarningRule).where(EarningRule.event_name == "core.email_verified").values(active=False)
        )
        emit_as_owner(EmailVerified(user_id=person.id), customer_id=person.id)
        emit_as_owner(
            SurveyCompleted(survey_id=3, response_id=2, customer_id=person.id), customer_id=person.id
        )
        db.session.commit()
    assert balance_of(app, person.id) == 20  # only the named survey, at the default 20


def test_staff_record_a_purchase_with_the_tier_multiplier(app, client, login_as, make_user):
    person = make_user()
    with app.app_context():
        set_setting("loyalty", "points_per_unit", Decimal("2"), actor_id=None)
        db.session.get(Account, ledger.account(person.id).user_id).tier = "gold"
        db.session.commit()
    login_as("agent")
    url = f"/staff/loyalty/customers/{person.id}/purchase"
    data = {"amount": "10.50", "reference": "R-77", "request_key": "k1"}
    response = post_form(client, url, data, follow_redirects=True)
    assert "Purchase recorded: 31 points." in response.get_data(as_text=True)  # 10.5 × 2 × 1.5
    again = post_form(client, url, {**data, "request_key": "k2"}, follow_redirects=True)
    assert "already recorded" in again.get_data(as_text=True)
    bad = post_form(client, url, {"amount": "-3", "request_key": "k3"}, follow_redirects=True)
    assert "more than zero" in bad.get_data(as_text=True)
    assert balance_of(app, person.id) == 31


def test_goodwill_within_the_role_limit(app, client, login_as, make_user):
    person = make_user()
    login_as("agent")
    url = f"/staff/loyalty/customers/{person.id}/goodwill"
    over = post_form(
        client, url, {"points": "501", "reason": "sorry", "request_key": "a"}, follow_redirects=True
    )
    assert "501 points is above your limit of 500 points" in over.get_data(as_text=True)
    ok = post_form(
        client,
        url,
        {"points": "150", "reason": "Late delivery", "request_key": "b", "next": "/staff/"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["Location"].endswith("/staff/")
    post_form(client, url, {"points": "150", "reason": "Late delivery", "request_key": "b"})  # retried: once
    assert balance_of(app, person.id) == 150
    assert (
        post_form(
            client,
            "/staff/loyalty/customers/999999/goodwill",
            {"points": "1", "reason": "x", "request_key": "c"},
        ).status_code
        == 404
    )
    with app.app_context():
        entry = db.session.scalar(select(Entry).where(Entry.user_id == person.id))
        assert (entry.kind, entry.reason) == ("goodwill", "Late delivery")


def test_goodwill_and_adjustments_are_in_the_audit_log_once(app, client, login_as, make_user):
    person = make_user()
    agent = login_as("agent")
    url = f"/staff/loyalty/customers/{person.id}/goodwill"
    for _attempt in range(2):  # a double-posted form grants, and is logged, once
        post_form(client, url, {"points": "40", "reason": "Parcel came late", "request_key": "k1"})
    with app.app_context():
        logged = db.session.scalars(select(AuditEvent).where(AuditEvent.kind.like("loyalty.%"))).all()
        assert [(event.kind, event.actor_id, event.detail) for event in logged] == [
            (
                "loyalty.goodwill_granted",
                agent.id,
                {"user_id": person.id, "points": 40, "reason": "Parcel came late"},
            )
        ]
    admin = app.test_client()
    log_in(admin, make_user("admin").email, TEST_PASSWORD)
    page = admin.get("/staff/audit?kind=loyalty.goodwill_granted").get_data(as_text=True)
    assert '<option selected value="loyalty.goodwill_granted">' in page and "Parcel came late" in page


def test_ticket_slot_renders_the_goodwill_form_for_staff_only(app, make_user):
    person = make_user()
    agent_user = make_user("agent")
    with app.test_request_context("/staff/tickets/5"):
        from flask_login import login_user

        login_user(db.session.get(User, agent_user.id))
        from plugins.loyalty import contributions

        html = str(
            contributions.render_slot("tickets.staff_actions", {"ticket_id": 5, "customer_id": person.id})
        )
        assert "Grant goodwill points" in html and f"/staff/loyalty/customers/{person.id}/goodwill" in html
        assert 'value="/staff/tickets/5"' in html
        assert contributions.render_slot("dashboard_top", {}) is None


# ---- tiers, segments, fields --------------------------------------------------------------------


def test_tier_change_notifies_emits_and_moves_segments(app, make_user):
    person = make_user()
    credit(app, person.id, 2100)
    with app.app_context():
        assert db.session.get(Account, person.id).tier == "gold"
        names = db.session.scalars(select(StoredEvent.name).where(StoredEvent.customer_id == person.id)).all()
        assert "loyalty.tier_changed" in names and "loyalty.points_earned" in names
        assert in_segment("loyalty.tier:gold", person.id)
        assert not in_segment("loyalty.tier:silver", person.id)
    with app.test_request_context("/"):
        labels = {str(s.label) for s in all_segments()}
        assert "Tier: Gold" in labels
        fields = customer_fields(db.session.get(User, person.id))
        assert fields["loyalty"]["tier"] == "Gold" and fields["loyalty"]["points"] == "2,100"


def test_overview_shows_balance_tier_progress_and_paged_history(app, client, login_as):
    person = login_as("customer")
    with app.app_context():
        for number in range(25):
            ledger.credit(person.id, 10, "earned", reason=f"visit {number}")
        db.session.commit()
    page = client.get("/loyalty/").get_data(as_text=True)
    assert "250 points" in page and "Bronze" in page
    assert "250 more points earned in 12 months to reach Silver" in page
    assert 'value="50"' in page  # the progress bar, half way to 500
    assert "visit 24" in page and "visit 4" not in page.replace("visit 4 ", "")
    older = re.search(r'href="(/loyalty/\?before=\d+)', page).group(1)
    assert "visit 0" in client.get(older).get_data(as_text=True)


def test_history_page_query_budget_does_not_grow(app, client, login_as):
    person = login_as("customer")
    with app.app_context():
        for _ in range(5):
            ledger.credit(person.id, 1, "earned")
        db.session.commit()
    with statements_run(app) as few:
        client.get("/loyalty/")
    with app.app_context():
        for _ in range(60):
            ledger.credit(person.id, 1, "earned")
        db.session.commit()
    with statements_run(app) as many:
        client.get("/loyalty/")
    assert len(many) == len(few), "\n".join(many)


# ---- rewards --------------------------------------------------------------------------------------


def test_redeem_gives_a_voucher_and_staff_cancel_gives_points_back(app, client, login_as, make_user):
    person = login_as("customer")
    reward_id = add_reward(app, cost=100, stock=2, per_customer_limit=1)
    credit(app, person.id, 250)
    catalogue = client.get("/loyalty/rewards").get_data(as_text=True)
    assert 'name="request_key"' not in catalogue, "the catalogue's button asks first"
    page = client.get(f"/loyalty/rewards/{reward_id}/redeem").get_data(as_text=True)
    assert "It costs 100 points. You will have 150 points left." in " ".join(page.split())
    assert balance_of(app, person.id) == 250, "asking spends nothing"
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page).group(1)
    response = post_form(
        client, f"/loyalty/rewards/{reward_id}/redeem", {"request_key": key}, follow_redirects=True
    )
    text = response.get_data(as_text=True)
    code = re.search(r"voucher code is ([A-Z0-9-]+)", text).group(1)
    assert code in text and balance_of(app, person.id) == 150
    # The same request again: no second voucher.
    post_form(client, f"/loyalty/rewards/{reward_id}/redeem", {"request_key": key})
    again = post_form(
        client, f"/loyalty/rewards/{reward_id}/redeem", {"request_key": "other"}, follow_redirects=True
    )
    assert "as often as allowed" in again.get_data(as_text=True)
    assert balance_of(app, person.id) == 150
    with app.app_context():
        redemption_id = db.session.scalar(select(Redemption.id).where(Redemption.user_id == person.id))
        assert db.session.get(Reward, reward_id).stock == 1
    # Customers cannot cancel; staff can.
    assert post_form(client, f"/staff/loyalty/redemptions/{redemption_id}/cancel", {}).status_code == 403
    post_form(client, "/logout", {})
    login_as("agent")
    post_form(client, f"/staff/loyalty/redemptions/{redemption_id}/cancel", {})
    assert balance_of(app, person.id) == 250
    with app.app_context():
        assert db.session.get(Redemption, redemption_id).status == "cancelled"
        assert db.session.get(Reward, reward_id).stock == 2
        assert ledger.reconcile() == []


def test_reward_rules_refuse_clearly(app, make_user):
    person = make_user()
    credit(app, person.id, 1000)
    sold_out = add_reward(app, stock=0)
    gold = add_reward(app, min_tier="gold")
    hidden = add_reward(app, active=False)
    with app.test_request_context("/"):
        with pytest.raises(LedgerError, match="out of stock"):
            rewards.redeem(person.id, sold_out, "a")
        with pytest.raises(LedgerError, match="Gold"):
            rewards.redeem(person.id, gold, "b")
        with pytest.raises(LedgerError, match="not available"):
            rewards.redeem(person.id, hidden, "c")
        db.session.rollback()
    assert balance_of(app, person.id) == 1000


def test_admin_manages_the_catalogue_agents_cannot(app, client, login_as):
    login_as("agent")
    assert client.get("/staff/loyalty/rewards/new").status_code == 403
    post_form(client, "/logout", {})
    login_as("admin")
    bad = post_form(
        client,
        "/staff/loyalty/rewards/new",
        {"title": "", "cost": "-1", "stock": "x", "per_customer_limit": "0", "min_tier": "bronze"},
    )
    assert bad.status_code == 200
    good = post_form(
        client,
        "/staff/loyalty/rewards/new",
        {
            "title": "Mug",
            "cost": "300",
            "stock": "5",
            "per_customer_limit": "0",
            "min_tier": "silver",
            "active": "y",
        },
        follow_redirects=True,
    )
    assert "Mug" in good.get_data(as_text=True)


def test_customer_cannot_reach_staff_pages_and_report_shows_liability(app, client, login_as, make_user):
    person = make_user()
    credit(app, person.id, 500)
    login_as("customer")
    assert client.get("/staff/loyalty/").status_code == 403
    assert (
        post_form(
            client,
            f"/staff/loyalty/customers/{person.id}/goodwill",
            {"points": "5", "reason": "x", "request_key": "z"},
        ).status_code
        == 403
    )
    post_form(client, "/logout", {})
    login_as("agent")
    page = client.get("/staff/loyalty/").get_data(as_text=True)
    assert re.search(r'id="loyalty-outstanding">500<', page)
    panel = client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    assert "Grant goodwill points" in panel and "500 points" in panel


def test_csv_import_dry_run_lists_bad_rows_and_changes_nothing(app, make_user, tmp_path):
    person = make_user()
    good = tmp_path / "good.csv"
    good.write_text(f"email,amount,reference\n{person.email},20,A1\n{person.email},5.5,A2\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"email,amount,reference\n{person.email},20,B1\nnobody@example.com,1,B2\n{person.email},-4,B3\n"
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "loyalty.purchases", str(bad)])
    assert result.exit_code != 0 and "Line 3" in result.output and "Line 4" in result.output
    assert balance_of(app, person.id) == 0
    dry = runner.invoke(args=["import", "loyalty.purchases", "--dry-run", str(good)])
    assert "2 rows are fine" in dry.output and balance_of(app, person.id) == 0
    runner.invoke(args=["import", "loyalty.purchases", str(good)])
    again = runner.invoke(args=["import", "loyalty.purchases", str(good)])
    assert "2 unchanged (imported before)" in again.output
    assert balance_of(app, person.id) == 25


def test_demo_data_puts_customers_in_every_tier_once(app, make_user):
    people = [make_user() for _ in range(4)]
    with app.app_context():
        customers = [db.session.get(User, person.id) for person in people]
        contributions.load_demo_data(customers)
        db.session.commit()
        contributions.load_demo_data(customers)
        db.session.commit()
        tiers_now = set(db.session.scalars(select(Account.tier)).all())
        assert tiers_now == {"bronze", "silver", "gold", "platinum"}
        assert db.session.scalar(select(func.count()).select_from(Reward)) == 3
        assert ledger.reconcile() == []


def test_export_and_erase_the_customers_points(app, make_user):
    person = make_user()
    credit(app, person.id, 120, reason="Welcome")
    with app.app_context():
        user = db.session.get(User, person.id)
        exported = contributions.export_data(user)
        assert exported["balance"] == 120 and exported["entries"][0]["reason"] == "Welcome"
        contributions.erase_data(user)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
        assert db.session.get(Account, person.id) is None


def test_customer_pages_need_sign_in_and_show_only_own_vouchers(app, client, login_as, make_user):
    assert client.get("/loyalty/").status_code == 302
    other = make_user()
    reward_id = add_reward(app, cost=10)
    credit(app, other.id, 10)
    with app.app_context():
        code = rewards.redeem(other.id, reward_id, "k").voucher_code
        db.session.commit()
    login_as("customer")
    assert code not in client.get("/loyalty/vouchers").get_data(as_text=True)
    assert "no vouchers" in client.get("/loyalty/vouchers").get_data(as_text=True)
    widget = client.get("/loyalty/widget", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "0 points" in widget and "Bronze" in widget


def test_admin_adjusts_up_and_down_but_never_below_zero(app, client, login_as, make_user):
    person = make_user()
    login_as("admin")
    url = f"/staff/loyalty/customers/{person.id}/adjust"
    post_form(client, url, {"points": "40", "reason": "migration", "request_key": "a1"})
    post_form(client, url, {"points": "-15", "reason": "duplicate", "request_key": "a2"})
    too_much = post_form(
        client, url, {"points": "-100", "reason": "x", "request_key": "a3"}, follow_redirects=True
    )
    assert "enough points" in too_much.get_data(as_text=True)
    nonsense = post_form(
        client, url, {"points": "lots", "reason": "x", "request_key": "a4"}, follow_redirects=True
    )
    assert "whole number" in nonsense.get_data(as_text=True)
    assert balance_of(app, person.id) == 25
    assert "Adjust the balance" in client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
