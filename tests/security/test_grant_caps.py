"""Every staff action that grants points has one cap per role, and the refusal says who can do more.

An agent once recorded a "purchase" of 400,000 with no reference and gave a customer 600,000 points:
the goodwill form had a cap, the purchase form and the CSV import had none. Each way of granting
points is tried here just above the cap (refused with the message, nothing written) and at it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.loyalty import awards, ledger
from plugins.loyalty.ledger import LedgerError
from plugins.loyalty.models import Account, Entry
from portal.accounts.models import User
from portal.approvals.models import Approval
from portal.plugin import db, set_setting
from portal.testing import post_form

pytestmark = pytest.mark.plugins("loyalty")

AGENT_REFUSAL = "Agents can grant at most 500 points at once; ask an administrator for more."
ADMIN_REFUSAL = (
    "Administrators can grant at most 5,000 points at once; raise the limit in the loyalty settings for more."
)


def entries_of(app, user_id: int) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Entry.kind, Entry.points).where(Entry.user_id == user_id).order_by(Entry.id)
        ).all()
        return [tuple(row) for row in rows]


def balance_of(app, user_id: int) -> int:
    with app.app_context():
        return ledger.balance(user_id)


def make_gold(app, user_id: int) -> None:
    with app.app_context():
        ledger.account(user_id)
        db.session.get(Account, user_id).tier = "gold"
        db.session.commit()


def test_an_agents_purchase_without_a_reference_above_the_cap_is_refused(app, client, login_as, make_user):
    person = make_user()
    make_gold(app, person.id)  # × 1.5: the 400,000 purchase of the report would be 600,000 points
    login_as("agent")
    url = f"/staff/loyalty/customers/{person.id}/purchase"
    page = post_form(client, url, {"amount": "400000", "request_key": "k1"}, follow_redirects=True)
    assert AGENT_REFUSAL in page.get_data(as_text=True)
    just_over = post_form(
        client, url, {"amount": "334", "reference": "R-1", "request_key": "k2"}, follow_redirects=True
    )  # 334 × 1.5 = 501
    assert AGENT_REFUSAL in just_over.get_data(as_text=True)
    assert entries_of(app, person.id) == [] and balance_of(app, person.id) == 0
    at_cap = post_form(
        client, url, {"amount": "333.40", "reference": "R-1", "request_key": "k3"}, follow_redirects=True
    )
    assert "Purchase recorded: 500 points." in at_cap.get_data(as_text=True)
    assert balance_of(app, person.id) == 500


def test_an_agents_goodwill_above_the_cap_grants_nothing_and_waits_for_an_administrator(
    app, client, login_as, make_user
):
    person = make_user()
    login_as("agent")
    url = f"/staff/loyalty/customers/{person.id}/goodwill"
    page = post_form(
        client, url, {"points": "501", "reason": "sorry", "request_key": "a"}, follow_redirects=True
    )
    assert "501 points is above your limit of 500 points, so the grant was sent to an administrator" in (
        page.get_data(as_text=True)
    )
    assert entries_of(app, person.id) == []
    with app.app_context():
        assert db.session.scalars(select(Approval.status)).all() == ["pending"]
    post_form(client, url, {"points": "500", "reason": "sorry", "request_key": "b"})
    assert balance_of(app, person.id) == 500


def test_an_administrator_grants_within_their_cap_and_not_above(app, client, login_as, make_user):
    person = make_user()
    login_as("admin")
    base = f"/staff/loyalty/customers/{person.id}"
    purchase = post_form(  # first, while the customer is Bronze (× 1)
        client, f"{base}/purchase", {"amount": "5000", "request_key": "p1"}, follow_redirects=True
    )
    assert "Purchase recorded: 5,000 points." in purchase.get_data(as_text=True)
    goodwill = post_form(
        client, f"{base}/goodwill", {"points": "5000", "reason": "Outage", "request_key": "g1"}
    )
    assert goodwill.status_code == 303
    adjust = post_form(
        client, f"{base}/adjust", {"points": "5000", "reason": "Migration", "request_key": "a1"}
    )
    assert adjust.status_code == 303
    assert balance_of(app, person.id) == 15000
    for url, data in [
        (f"{base}/goodwill", {"points": "5001", "reason": "Outage", "request_key": "g2"}),
        (f"{base}/purchase", {"amount": "5001", "request_key": "p2"}),
        (f"{base}/adjust", {"points": "5001", "reason": "Migration", "request_key": "a2"}),
    ]:
        page = post_form(client, url, data, follow_redirects=True)
        assert ADMIN_REFUSAL in page.get_data(as_text=True), url
    assert balance_of(app, person.id) == 15000 and len(entries_of(app, person.id)) == 3


def test_taking_points_back_is_no_grant_and_has_no_cap(app, client, login_as, make_user):
    person = make_user()
    with app.app_context():
        ledger.credit(person.id, 9000, "earned")
        db.session.commit()
    login_as("admin")
    url = f"/staff/loyalty/customers/{person.id}/adjust"
    post_form(client, url, {"points": "-8000", "reason": "Duplicate import", "request_key": "t1"})
    assert balance_of(app, person.id) == 1000


def test_the_caps_are_administrator_settings(app, client, login_as, make_user):
    person = make_user()
    with app.app_context():
        set_setting("loyalty", "grant_limit_agent", 50, actor_id=None)
        db.session.commit()
    login_as("agent")
    url = f"/staff/loyalty/customers/{person.id}/goodwill"
    page = post_form(client, url, {"points": "51", "reason": "x", "request_key": "a"}, follow_redirects=True)
    assert "51 points is above your limit of 50 points" in page.get_data(as_text=True)
    panel = client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    assert "At most 50 points per grant." in panel
    assert entries_of(app, person.id) == []


def test_the_cap_holds_in_the_service_layer_not_only_in_the_forms(app, make_user):
    person = make_user()
    agent = make_user("agent")
    with app.app_context():
        actor = db.session.get(User, agent.id)
        with pytest.raises(LedgerError, match="Agents can grant at most 500 points"):
            awards.record_purchase(person.id, Decimal("400000"), "", actor, "purchase-key:x")
        with pytest.raises(LedgerError, match="Agents can grant at most 500 points"):
            awards.grant_goodwill(person.id, 501, "sorry", actor, "goodwill:x")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_csv_import_rows_above_the_cap_are_refused_and_nothing_is_imported(app, make_user, tmp_path):
    person = make_user()
    agent = make_user("agent")
    admin = make_user("admin")
    sheet = tmp_path / "purchases.csv"
    sheet.write_text(f"email,amount,reference\n{person.email},20,A1\n{person.email},400000,A2\n")
    runner = app.test_cli_runner()
    by_agent = runner.invoke(args=["import", "loyalty.purchases", "--by", agent.email, str(sheet)])
    assert by_agent.exit_code != 0
    assert f"Line 3: {AGENT_REFUSAL}" in by_agent.output and "Line 2" not in by_agent.output
    unnamed = runner.invoke(args=["import", "loyalty.purchases", str(sheet)])
    in_source_text = ADMIN_REFUSAL.replace("5,000", "5000")  # a command has no reader: the source text
    assert unnamed.exit_code != 0 and f"Line 3: {in_source_text}" in unnamed.output
    assert entries_of(app, person.id) == []
    sheet.write_text(f"email,amount,reference\n{person.email},20,A1\n{person.email},4000,A2\n")
    by_admin = runner.invoke(args=["import", "loyalty.purchases", "--by", admin.email, str(sheet)])
    assert by_admin.exit_code == 0, by_admin.output
    assert balance_of(app, person.id) == 4020
    with app.app_context():
        actors = set(db.session.scalars(select(Entry.actor_id).where(Entry.user_id == person.id)))
        assert actors == {admin.id}  # the import is recorded for the person named
    nobody = runner.invoke(args=["import", "loyalty.purchases", "--by", person.email, str(sheet)])
    assert nobody.exit_code != 0 and "is not a staff member" in nobody.output
