"""The loyalty API: points scoped to their customer, scopes, redeeming, purchases recorded once per key."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugins.loyalty import ledger
from plugins.loyalty.models import Account, Entry, Redemption, Reward
from portal.database import db
from portal.plugin import set_setting
from portal.testing import api_token, create_user, post_form
from portal.testing.races import race

pytestmark = pytest.mark.plugins("loyalty")

ATTEMPTS = 8


def bearer(app: Flask, user_id: int, *scopes: str) -> dict[str, str]:
    return {"Authorization": api_token(app, user_id, *scopes)}


def credit(app: Flask, user_id: int, points: int, reason: str = "Welcome points") -> None:
    with app.app_context():
        ledger.credit(user_id, points, "earned", reason=reason)
        db.session.commit()


def add_reward(app: Flask, **fields: object) -> int:
    with app.app_context():
        reward = Reward(**{"title": "Coffee", "description": "A coffee", "cost": 100, "stock": 10, **fields})
        db.session.add(reward)
        db.session.commit()
        return reward.id


def entries_of(app: Flask, user_id: int) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Entry.kind, Entry.points).where(Entry.user_id == user_id).order_by(Entry.id)
        )
        return [(kind, points) for kind, points in rows]


def balance_of(app: Flask, user_id: int) -> int:
    with app.app_context():
        return ledger.balance(user_id)


def test_balance_and_history_are_the_customers_own(app: Flask) -> None:
    owner, stranger = create_user(app), create_user(app)
    agent = create_user(app, "agent")
    credit(app, owner.id, 250)
    credit(app, owner.id, 50, reason="Purchase R-1")
    client = app.test_client()
    mine = bearer(app, owner.id, "loyalty:read")
    theirs = bearer(app, stranger.id, "loyalty:read")

    balance = client.get("/api/v1/loyalty/balance", headers=mine).json
    assert balance["customer_id"] == owner.id and balance["balance"] == 300
    assert balance["tier"]["code"] == "bronze" and balance["next_tier"]["code"] == "silver"
    assert balance["expiring_points"] == 0 and balance["expiring_first_at"] is None
    history = client.get("/api/v1/loyalty/entries", headers=mine).json
    assert [(each["points"], each["description"]) for each in history["items"]] == [
        (50, "Purchase R-1"),
        (250, "Welcome points"),
    ]
    assert history["items"][0]["created_at"].endswith("+00:00")

    assert client.get("/api/v1/loyalty/entries", headers=theirs).json["items"] == []
    assert client.get("/api/v1/loyalty/balance", headers=theirs).json["balance"] == 0
    foreign = {"customer_id": owner.id}
    assert client.get("/api/v1/loyalty/entries", query_string=foreign, headers=theirs).status_code == 404
    assert client.get("/api/v1/loyalty/balance", query_string=foreign, headers=theirs).status_code == 404
    own = {"customer_id": owner.id}
    assert client.get("/api/v1/loyalty/balance", query_string=own, headers=mine).json["balance"] == 300

    staff = bearer(app, agent.id, "loyalty:read")
    missing = client.get("/api/v1/loyalty/balance", headers=staff)
    assert missing.status_code == 422 and "customer_id" in missing.json["errors"]["query"]
    assert client.get("/api/v1/loyalty/entries", headers=staff).status_code == 422
    named = client.get("/api/v1/loyalty/entries", query_string=foreign, headers=staff).json
    assert len(named["items"]) == 2
    not_a_customer = {"customer_id": agent.id}
    assert (
        client.get("/api/v1/loyalty/balance", query_string=not_a_customer, headers=staff).status_code == 404
    )


def test_history_is_paged_newest_first(app: Flask) -> None:
    customer = create_user(app)
    for points in range(1, 6):
        credit(app, customer.id, points)
    headers = bearer(app, customer.id, "loyalty:read")
    client = app.test_client()
    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/loyalty/entries", query_string=query, headers=headers).json
        seen += [each["points"] for each in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1]


def test_scopes_and_roles_are_enforced(app: Flask) -> None:
    customer = create_user(app)
    credit(app, customer.id, 500)
    reward = add_reward(app)
    reader = bearer(app, customer.id, "loyalty:read")
    client = app.test_client()
    refused = client.post("/api/v1/loyalty/redemptions", json={"reward_id": reward}, headers=reader)
    assert refused.status_code == 403 and "loyalty:write" in refused.json["detail"]
    account_only = bearer(app, customer.id, "account:read")
    assert client.get("/api/v1/loyalty/balance", headers=account_only).status_code == 403
    writer = bearer(app, customer.id, "loyalty:write")
    assert client.get("/api/v1/loyalty/rewards", headers=writer).status_code == 200, "write includes read"
    purchase = {"customer_id": customer.id, "amount": 10}
    by_customer = client.post(
        "/api/v1/loyalty/purchases", json=purchase, headers={**writer, "Idempotency-Key": "p-1"}
    )
    assert by_customer.status_code == 403
    staff = bearer(app, create_user(app, "agent").id, "loyalty:write")
    assert (
        client.post("/api/v1/loyalty/redemptions", json={"reward_id": reward}, headers=staff).status_code
        == 403
    )
    assert entries_of(app, customer.id) == [("earned", 500)]


def test_redeeming_lowers_the_balance_and_a_second_without_points_is_a_conflict(app: Flask) -> None:
    customer = create_user(app)
    credit(app, customer.id, 150)
    reward = add_reward(app, cost=100)
    headers = bearer(app, customer.id, "loyalty:write")
    client = app.test_client()

    catalogue = client.get("/api/v1/loyalty/rewards", headers=headers).json["items"]
    assert [(each["id"], each["cost"], each["in_stock"]) for each in catalogue] == [(reward, 100, True)]
    first = client.post("/api/v1/loyalty/redemptions", json={"reward_id": reward}, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json["points"] == 100 and first.json["status"] == "active" and first.json["voucher_code"]
    assert balance_of(app, customer.id) == 50

    second = client.post("/api/v1/loyalty/redemptions", json={"reward_id": reward}, headers=headers)
    assert second.status_code == 409
    assert second.mimetype == "application/problem+json" and "enough points" in second.json["detail"]
    assert balance_of(app, customer.id) == 50
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1
        assert db.session.get_one(Reward, reward).stock == 9


def test_a_redemption_retried_with_its_key_redeems_once_and_out_of_stock_is_a_conflict(app: Flask) -> None:
    customer = create_user(app)
    credit(app, customer.id, 1000)
    reward = add_reward(app, cost=100, stock=1)
    headers = {**bearer(app, customer.id, "loyalty:write"), "Idempotency-Key": "voucher-1"}
    client = app.test_client()
    first = client.post("/api/v1/loyalty/redemptions", json={"reward_id": reward}, headers=headers)
    again = client.post("/api/v1/loyalty/redemptions", json={"reward_id": reward}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    sold_out = client.post(
        "/api/v1/loyalty/redemptions",
        json={"reward_id": reward},
        headers={**headers, "Idempotency-Key": "v-2"},
    )
    assert sold_out.status_code == 409 and "out of stock" in sold_out.json["detail"]
    other = add_reward(app, cost=10)
    reused = client.post("/api/v1/loyalty/redemptions", json={"reward_id": other}, headers=headers)
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json["errors"]["headers"]
    unknown = client.post(
        "/api/v1/loyalty/redemptions",
        json={"reward_id": other + 1},
        headers={**headers, "Idempotency-Key": "v-3"},
    )
    assert unknown.status_code == 422 and "reward_id" in unknown.json["errors"]["json"]
    assert balance_of(app, customer.id) == 900
    assert entries_of(app, customer.id) == [("earned", 1000), ("redeemed", -100)]


def test_an_agent_records_a_purchase_earning_what_the_staff_form_gives(app: Flask, client, login_as) -> None:
    by_form, by_api = create_user(app), create_user(app)
    with app.app_context():
        set_setting("loyalty", "points_per_unit", Decimal("2"), actor_id=None)
        for person in (by_form, by_api):
            db.session.get_one(Account, ledger.account(person.id).user_id).tier = "gold"
        db.session.commit()
    agent = login_as("agent")
    form = {"amount": "10.50", "reference": "R-77", "request_key": "k1"}
    post_form(client, f"/staff/loyalty/customers/{by_form.id}/purchase", form)
    headers = {**bearer(app, agent.id, "loyalty:write"), "Idempotency-Key": "till-4-0815"}
    answer = app.test_client().post(
        "/api/v1/loyalty/purchases",
        json={"customer_id": by_api.id, "amount": 10.5, "reference": "R-78"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.json["points"] == 31 and answer.json["customer_id"] == by_api.id  # 10.5 × 2 × 1.5
    assert answer.json["kind"] == "earned" and answer.json["description"] == "Purchase R-78"
    assert entries_of(app, by_api.id) == entries_of(app, by_form.id) == [("earned", 31)]


def test_the_same_key_twice_gives_the_same_answer_and_one_entry(app: Flask) -> None:
    customer, other = create_user(app), create_user(app)
    agent = create_user(app, "agent")
    headers = {**bearer(app, agent.id, "loyalty:write"), "Idempotency-Key": "order-1042"}
    client = app.test_client()
    purchase = {"customer_id": customer.id, "amount": 120}
    first = client.post("/api/v1/loyalty/purchases", json=purchase, headers=headers)
    again = client.post("/api/v1/loyalty/purchases", json=purchase, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert entries_of(app, customer.id) == [("earned", 120)]

    for_other = client.post(
        "/api/v1/loyalty/purchases", json={**purchase, "customer_id": other.id}, headers=headers
    )
    assert for_other.status_code == 201, "keys belong to the customer they were sent for"
    receipt = {**purchase, "reference": "R-9"}
    kept = client.post("/api/v1/loyalty/purchases", json=receipt, headers={**headers, "Idempotency-Key": "a"})
    resent = client.post(
        "/api/v1/loyalty/purchases", json=receipt, headers={**headers, "Idempotency-Key": "b"}
    )
    assert resent.json == kept.json, "a receipt earns once, whichever key sends it"
    elsewhere = client.post(
        "/api/v1/loyalty/purchases", json={**receipt, "customer_id": other.id}, headers=headers
    )
    assert elsewhere.status_code == 409
    assert balance_of(app, customer.id) == 240 and balance_of(app, other.id) == 120


def test_the_same_key_sent_at_once_records_one_purchase(app: Flask) -> None:
    customer = create_user(app)
    agent = create_user(app, "agent")
    headers = {**bearer(app, agent.id, "loyalty:write"), "Idempotency-Key": "raced-order"}

    def attempt(_number: int) -> tuple[int, dict]:
        response = app.test_client().post(
            "/api/v1/loyalty/purchases", json={"customer_id": customer.id, "amount": 80}, headers=headers
        )
        return response.status_code, response.json

    outcomes = race(ATTEMPTS, attempt)
    assert not [each for each in outcomes if isinstance(each, BaseException)], outcomes
    assert {status for status, _body in outcomes} == {201}
    assert len({body["id"] for _status, body in outcomes}) == 1
    assert entries_of(app, customer.id) == [("earned", 80)]
    assert balance_of(app, customer.id) == 80


def test_invalid_input_names_each_field_and_changes_nothing(app: Flask) -> None:
    customer = create_user(app)
    agent = create_user(app, "agent")
    headers = {**bearer(app, agent.id, "loyalty:write"), "Idempotency-Key": "bad-1"}
    client = app.test_client()
    answer = client.post(
        "/api/v1/loyalty/purchases",
        json={"customer_id": "me", "amount": 1.234, "reference": "x" * 61},
        headers=headers,
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert set(answer.json["errors"]["json"]) == {"customer_id", "amount", "reference"}
    for amount in (0, -5, 10_000_001, "12"):
        refused = client.post(
            "/api/v1/loyalty/purchases", json={"customer_id": customer.id, "amount": amount}, headers=headers
        )
        assert refused.status_code == 422 and set(refused.json["errors"]["json"]) == {"amount"}, amount
    keyless = client.post(
        "/api/v1/loyalty/purchases",
        json={"customer_id": customer.id, "amount": 10},
        headers=bearer(app, agent.id, "loyalty:write"),
    )
    assert keyless.status_code == 422 and "Idempotency-Key" in keyless.json["errors"]["headers"]
    nobody = client.post(
        "/api/v1/loyalty/purchases", json={"customer_id": agent.id, "amount": 10}, headers=headers
    )
    assert nobody.status_code == 422 and set(nobody.json["errors"]["json"]) == {"customer_id"}
    over_cap = client.post(
        "/api/v1/loyalty/purchases", json={"customer_id": customer.id, "amount": 501}, headers=headers
    )
    assert over_cap.status_code == 403 and "at most 500 points" in over_cap.json["detail"]
    reader = bearer(app, customer.id, "loyalty:write")
    assert (
        client.post("/api/v1/loyalty/redemptions", json={"reward_id": "1"}, headers=reader).status_code == 422
    )
    assert client.get("/api/v1/loyalty/entries?cursor=%7E%7E", headers=reader).status_code == 422
    assert client.get("/api/v1/loyalty/entries?kind=earned", headers=reader).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
