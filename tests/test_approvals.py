"""Approvals: an agent's goodwill above their limit waits for an administrator, who approves or declines it.

What people notice: the agent is told it was sent, every administrator is told it waits, approving
credits the points once (as the approver, within the approver's own limit) and tells the agent,
declining credits nothing and tells the agent; nobody decides their own request, an agent cannot
decide at all, and a switched-off plugin's request waits until the plugin is on again.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugins.loyalty import ledger
from plugins.loyalty.models import Entry
from portal.accounts.models import User
from portal.approvals.models import Approval
from portal.audit import AuditEvent
from portal.notifications.models import Notification
from portal.plugin import db, request_approval, set_setting
from portal.testing import TEST_PASSWORD, UserRecord, csrf_token, log_in, post_form
from portal.testing.races import race, same_browser

pytestmark = pytest.mark.plugins("loyalty")

SENT = (
    "800 points is above your limit of 500 points, so the grant was sent to an administrator for "
    "approval. You will be told when it is decided."
)
ATTEMPTS = 8


def signed_in(app: Flask, user: UserRecord) -> FlaskClient:
    browser = app.test_client()
    log_in(browser, user.email, TEST_PASSWORD)
    return browser


def ask_goodwill(client: FlaskClient, customer_id: int, points: str = "800", key: str = "k1") -> str:
    url = f"/staff/loyalty/customers/{customer_id}/goodwill"
    data = {"points": points, "reason": "Lost parcel, promised on the phone", "request_key": key}
    return post_form(client, url, data, follow_redirects=True).get_data(as_text=True)


def only_approval(app: Flask) -> Approval:
    with app.app_context():
        approval = db.session.scalars(select(Approval)).one()
        db.session.expunge(approval)
        return approval


def entries_of(app: Flask, user_id: int) -> list[tuple[str, int, str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(Entry.kind, Entry.points, Entry.reason, Entry.actor_id).where(Entry.user_id == user_id)
        ).all()
        return [tuple(row) for row in rows]


def notices(app: Flask, user_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(Notification.kind, Notification.title, Notification.body)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        ).all()
        return [tuple(row) for row in rows]


def decide(client: FlaskClient, approval_id: int, decision: str, note: str = "") -> str:
    url = f"/staff/approvals/{approval_id}/decide"
    response = post_form(client, url, {"decision": decision, "note": note}, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def customer(make_user) -> UserRecord:
    return make_user(name="Carla Customer")


@pytest.fixture
def agent(client: FlaskClient, login_as) -> UserRecord:
    return login_as("agent", name="Agnes Agent")


def test_an_agents_goodwill_above_the_limit_becomes_a_request(app, client, agent, customer):
    page = ask_goodwill(client, customer.id)
    assert SENT in page
    assert entries_of(app, customer.id) == []
    approval = only_approval(app)
    assert (approval.kind, approval.status, approval.customer_id, approval.requested_by_id) == (
        "loyalty.goodwill",
        "pending",
        customer.id,
        agent.id,
    )
    assert approval.payload["points"] == 800
    assert approval.reason == "Lost parcel, promised on the phone"
    again = ask_goodwill(client, customer.id)  # the same form sent twice asks once
    assert "already sent to an administrator" in again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Approval)) == 1
        logged = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.kind == "approval_requested"))
        assert list(logged) == ["approval_requested"]
    mine = client.get("/staff/approvals/").get_data(as_text=True)
    assert "Your requests" in mine and "Lost parcel, promised on the phone" in mine and "Waiting" in mine
    assert 'action="/staff/approvals/' not in mine, "an agent has no buttons to decide"


def test_every_administrator_but_no_integration_is_told(app, client, agent, customer, make_user):
    admins = [make_user("admin", name="Ada"), make_user("admin", name="Abe")]
    integration = make_user("admin", name="Shop", is_integration=True)
    ask_goodwill(client, customer.id)
    for admin in admins:
        [(kind, title, body)] = notices(app, admin.id)
        assert kind == "core.approvals"
        assert title == "A request waits for your approval: Goodwill points above an agent's limit"
        assert "800 goodwill points for Carla Customer" in body and "Asked by Agnes Agent" in body
    assert notices(app, integration.id) == []
    assert notices(app, agent.id) == []


def test_approving_credits_once_as_the_approver_and_tells_the_agent(app, client, agent, customer, make_user):
    ask_goodwill(client, customer.id)
    approval = only_approval(app)
    admin = make_user("admin", name="Ada Admin")
    browser = signed_in(app, admin)
    waiting = browser.get("/staff/approvals/").get_data(as_text=True)
    assert "800 goodwill points for" in waiting and f"/staff/customers/{customer.id}" in waiting
    page = decide(browser, approval.id, "approve", note="Fine this once")
    assert "Approved. The requester is told." in page
    assert "Fine this once" in page, "the decision shows among the latest"
    assert entries_of(app, customer.id) == [("goodwill", 800, "Lost parcel, promised on the phone", admin.id)]
    again = decide(browser, approval.id, "approve")
    assert "This request was decided already." in again
    assert entries_of(app, customer.id) == [("goodwill", 800, "Lost parcel, promised on the phone", admin.id)]
    with app.app_context():
        assert ledger.balance(customer.id) == 800 and ledger.reconcile() == []
        decided = db.session.get(Approval, approval.id)
        assert (decided.status, decided.decided_by_id, decided.decision_note) == (
            "approved",
            admin.id,
            "Fine this once",
        )
    [(kind, title, body)] = notices(app, agent.id)
    assert kind == "core.approvals"
    assert title == "Your request was approved: Goodwill points above an agent's limit"
    assert "Decided by Ada Admin, who notes: Fine this once" in body
    state = client.get("/staff/approvals/").get_data(as_text=True)
    assert "Approved" in state and "Fine this once" in state


def test_declining_credits_nothing_and_tells_the_agent(app, client, agent, customer, make_user):
    ask_goodwill(client, customer.id)
    approval = only_approval(app)
    browser = signed_in(app, make_user("admin", name="Ada Admin"))
    page = decide(browser, approval.id, "decline", note="Offer a voucher instead")
    assert "Declined. Nothing was done, and the requester is told." in page
    assert entries_of(app, customer.id) == []
    assert "This request was decided already." in decide(browser, approval.id, "approve")
    assert entries_of(app, customer.id) == []
    [(_kind, title, body)] = notices(app, agent.id)
    assert title == "Your request was declined: Goodwill points above an agent's limit"
    assert "Offer a voucher instead" in body
    decided = browser.get("/staff/approvals/decided").get_data(as_text=True)
    assert "Declined" in decided and "Offer a voucher instead" in decided


def test_nobody_decides_their_own_request(app, customer, make_user):
    admin = make_user("admin")
    with app.test_request_context():
        payload = {"customer_id": customer.id, "points": 800, "reason": "Outage", "source": "goodwill:own"}
        request_approval(
            "loyalty.goodwill", payload, db.session.get(User, admin.id), "Outage", customer_id=customer.id
        )
        db.session.commit()
    approval = only_approval(app)
    browser = signed_in(app, admin)
    waiting = browser.get("/staff/approvals/").get_data(as_text=True)
    assert "You asked for this yourself, so another administrator decides it." in waiting
    for decision in ("approve", "decline"):
        page = decide(browser, approval.id, decision)
        assert "You asked for this yourself, so another administrator decides it." in page
    assert only_approval(app).status == "pending"
    assert entries_of(app, customer.id) == []


def test_an_agent_cannot_decide(app, client, agent, customer, make_user):
    ask_goodwill(client, customer.id)
    approval = only_approval(app)
    colleague = signed_in(app, make_user("agent"))
    url = f"/staff/approvals/{approval.id}/decide"
    for browser in (client, colleague):
        assert post_form(browser, url, {"decision": "approve"}).status_code == 403
        assert browser.get("/staff/approvals/decided").status_code == 403
    assert only_approval(app).status == "pending"


def test_a_switched_off_plugins_request_cannot_be_decided(app, client, agent, customer, make_user):
    ask_goodwill(client, customer.id)
    approval = only_approval(app)
    assert app.test_cli_runner().invoke(args=["plugins", "disable", "loyalty"]).exit_code == 0
    browser = signed_in(app, make_user("admin"))
    switched_off = "The plugin Loyalty points is switched off, so this request cannot be decided"
    assert switched_off in browser.get("/staff/approvals/").get_data(as_text=True)
    for decision in ("approve", "decline"):
        assert switched_off in decide(browser, approval.id, decision)
    assert only_approval(app).status == "pending"
    assert app.test_cli_runner().invoke(args=["plugins", "enable", "loyalty"]).exit_code == 0
    assert "Approved." in decide(browser, approval.id, "approve")
    assert [points for _kind, points, _reason, _actor in entries_of(app, customer.id)] == [800]


def test_the_approvers_own_limit_applies_and_a_refusal_changes_nothing(
    app, client, agent, customer, make_user
):
    with app.app_context():
        set_setting("loyalty", "grant_limit_admin", 600, actor_id=None)
        db.session.commit()
    ask_goodwill(client, customer.id)
    approval = only_approval(app)
    browser = signed_in(app, make_user("admin"))
    page = decide(browser, approval.id, "approve", note="Yes")
    assert "Administrators can grant at most 600 points at once; raise the limit in the loyalty" in page
    refused = only_approval(app)
    assert (refused.status, refused.decided_by_id, refused.decided_at, refused.decision_note) == (
        "pending",
        None,
        None,
        "",
    )
    assert entries_of(app, customer.id) == [] and notices(app, agent.id) == []
    with app.app_context():
        decided = select(func.count()).where(AuditEvent.kind.in_(["approval_approved", "approval_declined"]))
        assert db.session.scalar(decided) == 0


def test_a_decision_with_no_choice_or_an_overlong_note_is_refused_on_the_page(
    app, client, agent, customer, make_user
):
    ask_goodwill(client, customer.id)
    approval = only_approval(app)
    browser = signed_in(app, make_user("admin"))
    assert "Choose Approve or Decline." in decide(browser, approval.id, "maybe")
    assert "A note has at most 500 characters." in decide(browser, approval.id, "approve", note="x" * 501)
    assert post_form(browser, "/staff/approvals/999999/decide", {"decision": "approve"}).status_code == 404
    assert only_approval(app).status == "pending"


def test_eight_approvals_of_one_request_at_once_credit_once(app, client, agent, customer, make_user):
    ask_goodwill(client, customer.id)
    approval = only_approval(app)
    admins = [signed_in(app, make_user("admin")) for _ in range(2)]
    tabs = [tab for admin in admins for tab in same_browser(admin, ATTEMPTS // 2)]
    tokens = [csrf_token(tab) for tab in tabs]
    url = f"/staff/approvals/{approval.id}/decide"
    statuses = race(
        ATTEMPTS,
        lambda n: tabs[n].post(url, data={"csrf_token": tokens[n], "decision": "approve"}).status_code,
    )
    assert statuses == [303] * ATTEMPTS
    assert [points for _kind, points, _reason, _actor in entries_of(app, customer.id)] == [800]
    with app.app_context():
        assert ledger.balance(customer.id) == 800 and ledger.reconcile() == []
        approved = select(func.count()).where(AuditEvent.kind == "approval_approved")
        assert db.session.scalar(approved) == 1
    assert [kind for kind, _title, _body in notices(app, agent.id)] == ["core.approvals"]


@pytest.mark.plugins("example")
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("remove_note", "its name is 'example.<what>'"),
        ("loyalty.remove_note", "its name is 'example.<what>'"),
        ("example.Remove", "in lowercase letters, digits and underscores"),
    ],
)
def test_portal_approval_kinds_outside_the_plugins_name_fail_loudly(app, monkeypatch, name, message):
    import dataclasses

    import portal_example_plugin

    from portal.approvals.kinds import approval_kinds
    from portal.plugin_manager import PluginError

    declared = portal_example_plugin.approvals.approval_kinds()
    monkeypatch.setattr(
        portal_example_plugin.approvals,
        "approval_kinds",
        lambda: [dataclasses.replace(declared[0], name=name)],
    )
    with app.app_context(), pytest.raises(PluginError, match=re.escape(message)):
        approval_kinds()
