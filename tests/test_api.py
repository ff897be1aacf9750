"""The API as an integrator meets it: tokens, scopes, scoping to the customer, problems, idempotency.

Runs on SQLite and, with PORTAL_TEST_DATABASE_URL set, on PostgreSQL; the raced requests each have
their own connection (portal.testing.races).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from plugins.tickets.models import Message, Ticket
from portal.accounts.models import User
from portal.api.access import scope_areas
from portal.api.tokens import ApiToken
from portal.audit import AuditEvent
from portal.database import db, utcnow
from portal.staff.plugin_switch import switch_plugin
from portal.testing import TEST_PASSWORD, api_token, create_user, log_in
from portal.testing.races import race

pytestmark = pytest.mark.plugins("tickets")

NEW_TICKET = {
    "subject": "The invoice is wrong",
    "body": "It lists two boxes; I ordered one.",
    "category": "problem",
}


def bearer(app: Flask, user_id: int, *scopes: str) -> dict[str, str]:
    return {"Authorization": api_token(app, user_id, *scopes)}


def open_ticket(app: Flask, headers: dict[str, str], **extra: str) -> dict:
    response = app.test_client().post("/api/v1/tickets/", json=NEW_TICKET, headers={**headers, **extra})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def test_a_customer_token_reads_only_the_customers_own_tickets(app: Flask) -> None:
    owner, stranger = create_user(app), create_user(app)
    agent = create_user(app, "agent")
    mine = open_ticket(app, bearer(app, owner.id, "tickets:write"))
    theirs = bearer(app, stranger.id, "tickets:write")
    client = app.test_client()

    assert client.get(f"/api/v1/tickets/{mine['id']}", headers=theirs).status_code == 404
    assert client.get(f"/api/v1/tickets/{mine['id']}/messages", headers=theirs).status_code == 404
    reply = client.post(f"/api/v1/tickets/{mine['id']}/messages", json={"body": "Mine now"}, headers=theirs)
    assert reply.status_code == 404
    status = client.post(f"/api/v1/tickets/{mine['id']}/status", json={"status": "closed"}, headers=theirs)
    assert status.status_code == 404
    assert client.get("/api/v1/tickets/", headers=theirs).json["items"] == []

    staff = client.get("/api/v1/tickets/", headers=bearer(app, agent.id, "tickets:read")).json
    assert [each["id"] for each in staff["items"]] == [mine["id"]]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_scopes_and_roles_are_enforced(app: Flask) -> None:
    customer = create_user(app)
    reader = bearer(app, customer.id, "tickets:read")
    client = app.test_client()
    refused = client.post("/api/v1/tickets/", json=NEW_TICKET, headers=reader)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert "tickets:write" in refused.json["detail"]
    assert client.get("/api/v1/me", headers=reader).status_code == 403
    assert client.get("/api/v1/tickets/", headers=reader).status_code == 200
    writer = bearer(app, customer.id, "tickets:write")
    assert client.get("/api/v1/tickets/", headers=writer).status_code == 200, "write includes read"
    other = create_user(app)
    on_behalf = client.post("/api/v1/tickets/", json={**NEW_TICKET, "customer_id": other.id}, headers=writer)
    assert on_behalf.status_code == 403, "only staff open a ticket for someone else"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_the_session_cookie_does_not_authenticate_the_api(app: Flask) -> None:
    """A page on another site can make a browser send its cookie; only a bearer token counts."""
    customer = create_user(app)
    client = app.test_client()
    log_in(client, customer.email, TEST_PASSWORD)
    assert client.get("/dashboard").status_code == 200
    answer = client.post("/api/v1/tickets/", json=NEW_TICKET)
    assert answer.status_code == 401
    assert answer.json["status"] == 401
    assert "Bearer" in answer.json["detail"]


def test_expired_and_revoked_tokens_are_refused_and_use_is_recorded(app: Flask) -> None:
    customer = create_user(app)
    headers = bearer(app, customer.id, "account:read")
    client = app.test_client()
    assert client.get("/api/v1/me", headers=headers).json["email"] == customer.email
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == customer.id))
        assert token.last_used_at is not None
        assert token.secret_digest not in headers["Authorization"]
        audited = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "api_request")).all()
        assert [(each.detail["path"], each.detail["status"]) for each in audited] == [("/api/v1/me", 200)]
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    with app.app_context():
        db.session.execute(
            update(ApiToken).values(expires_at=utcnow() + timedelta(days=1), revoked_at=utcnow())
        )
        db.session.commit()
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert "revoked" in refused.json["detail"]
    assert (
        client.get("/api/v1/me", headers={"Authorization": headers["Authorization"][:-2] + "xx"}).status_code
        == 401
    )


def test_invalid_input_is_a_problem_naming_each_field_and_changes_nothing(app: Flask) -> None:
    headers = bearer(app, create_user(app).id, "tickets:write")
    client = app.test_client()
    answer = client.post(
        "/api/v1/tickets/",
        json={"subject": " ", "body": "x" * 10_001, "category": "nonsense", "priority": "asap"},
        headers=headers,
    )
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert set(answer.json["errors"]["json"]) == {"subject", "body", "category", "priority"}
    assert client.post("/api/v1/tickets/", data="{not json", headers=headers).status_code in (400, 415, 422)
    nul = client.post("/api/v1/tickets/", json={**NEW_TICKET, "body": "a\x00b"}, headers=headers)
    assert nul.status_code == 422
    assert client.get("/api/v1/tickets/?cursor=%7E%7E&limit=0", headers=headers).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_paging_and_incremental_sync(app: Flask) -> None:
    customer = create_user(app)
    headers = bearer(app, customer.id, "tickets:write")
    opened = [open_ticket(app, headers, **{"Idempotency-Key": f"order-{n}"})["id"] for n in range(5)]
    client = app.test_client()
    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/tickets/", query_string=query, headers=headers).json
        seen += [each["id"] for each in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == opened
    last_sync = client.get("/api/v1/tickets/", headers=headers).json["items"][-1]["updated_at"]
    client.post(f"/api/v1/tickets/{opened[1]}/messages", json={"body": "Any news?"}, headers=headers)
    changed = client.get("/api/v1/tickets/", query_string={"updated_since": last_sync}, headers=headers).json
    assert opened[1] in [each["id"] for each in changed["items"]]
    assert opened[0] not in [each["id"] for each in changed["items"]]


def test_the_same_idempotency_key_gives_the_same_ticket_once(app: Flask) -> None:
    headers = bearer(app, create_user(app).id, "tickets:write")
    first = open_ticket(app, headers, **{"Idempotency-Key": "shop-order-7"})
    again = open_ticket(app, headers, **{"Idempotency-Key": "shop-order-7"})
    assert again == first
    reply = {"body": "Here is the photo."}
    client = app.test_client()
    keyed = {**headers, "Idempotency-Key": "reply-1"}
    one = client.post(f"/api/v1/tickets/{first['id']}/messages", json=reply, headers=keyed)
    two = client.post(f"/api/v1/tickets/{first['id']}/messages", json=reply, headers=keyed)
    assert one.status_code == two.status_code == 201
    assert one.json == two.json
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert db.session.scalar(select(func.count()).select_from(Message)) == 2


def test_the_same_idempotency_key_sent_at_once_opens_one_ticket(app: Flask) -> None:
    headers = {**bearer(app, create_user(app).id, "tickets:write"), "Idempotency-Key": "raced-order"}

    def attempt(_number: int) -> tuple[int, int]:
        response = app.test_client().post("/api/v1/tickets/", json=NEW_TICKET, headers=headers)
        return response.status_code, response.json.get("id")

    outcomes = race(8, attempt)
    assert not [each for each in outcomes if isinstance(each, BaseException)], outcomes
    assert {status for status, _id in outcomes} == {201}
    assert len({ticket_id for _status, ticket_id in outcomes}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_customers_close_and_staff_resolve(app: Flask) -> None:
    customer, agent = create_user(app), create_user(app, "agent")
    mine = bearer(app, customer.id, "tickets:write")
    staff = bearer(app, agent.id, "tickets:write")
    ticket = open_ticket(app, mine)["id"]
    client = app.test_client()
    answer = client.post(
        f"/api/v1/tickets/{ticket}/messages", json={"body": "Fixed", "internal": False}, headers=staff
    )
    assert answer.json["from_staff"] is True
    note = client.post(
        f"/api/v1/tickets/{ticket}/messages", json={"body": "Staff only", "internal": True}, headers=staff
    )
    assert note.json["internal"] is True
    bodies = [
        each["body"] for each in client.get(f"/api/v1/tickets/{ticket}/messages", headers=mine).json["items"]
    ]
    assert "Staff only" not in bodies and "Fixed" in bodies
    refused = client.post(f"/api/v1/tickets/{ticket}/status", json={"status": "resolved"}, headers=mine)
    assert refused.status_code == 409
    resolved = client.post(f"/api/v1/tickets/{ticket}/status", json={"status": "resolved"}, headers=staff)
    assert resolved.json["status"] == "resolved" and resolved.json["resolved_at"].endswith("+00:00")
    closed = client.post(f"/api/v1/tickets/{ticket}/status", json={"status": "closed"}, headers=mine)
    assert closed.json["status"] == "closed"
    late = client.post(f"/api/v1/tickets/{ticket}/messages", json={"body": "One more"}, headers=mine)
    assert late.status_code == 409


def test_a_disabled_plugin_leaves_the_api_and_its_document(app: Flask) -> None:
    headers = bearer(app, create_user(app).id, "tickets:read")
    client = app.test_client()
    assert "/api/v1/tickets/" in client.get("/api/v1/openapi.json").json["paths"]
    with app.app_context():
        switch_plugin("tickets", False, actor_id=None)
    assert client.get("/api/v1/tickets/", headers=headers).status_code == 404
    assert "/api/v1/tickets/" not in client.get("/api/v1/openapi.json").json["paths"]


def test_a_token_has_its_own_rate_limit(app_config: dict, app: Flask) -> None:
    app.config["PORTAL_API_RATE_LIMIT"] = "3 per minute"
    first = bearer(app, create_user(app).id, "account:read")
    second = bearer(app, create_user(app).id, "account:read")
    client = app.test_client()
    answers = [client.get("/api/v1/me", headers=first).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/api/v1/me", headers=first)
    assert limited.mimetype == "application/problem+json" and limited.headers.get("Retry-After")
    assert client.get("/api/v1/me", headers=second).status_code == 200


@pytest.mark.plugins("tickets", "example")
def test_portal_api_blueprints_add_a_plugins_routes_to_the_api_and_its_document(app: Flask) -> None:
    """The example plugin's notes: its own scope area, its own routes, scoped to the token's account."""
    writer = bearer(app, create_user(app).id, "example:write")
    stranger = bearer(app, create_user(app).id, "example:read")
    client = app.test_client()
    added = client.post("/api/v1/example/notes/", json={"body": "Call back on Monday"}, headers=writer)
    assert added.status_code == 201
    assert (
        client.get("/api/v1/example/notes/", headers=writer).json["items"][0]["body"] == "Call back on Monday"
    )
    assert client.get("/api/v1/example/notes/", headers=stranger).json["items"] == []
    assert client.post("/api/v1/example/notes/", json={"body": "x"}, headers=stranger).status_code == 403
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/example/notes/"]["post"]
    assert operation["security"] == [{"bearerAuth": ["example:write"]}]
    with app.test_request_context():
        assert "example" in scope_areas()


def test_reads_carry_an_etag_and_answer_304_while_nothing_changed(app: Flask) -> None:
    headers = bearer(app, create_user(app).id, "tickets:write")
    ticket = open_ticket(app, headers)["id"]
    client = app.test_client()
    first = client.get(f"/api/v1/tickets/{ticket}", headers=headers)
    etag = first.headers["ETag"]
    unchanged = client.get(f"/api/v1/tickets/{ticket}", headers={**headers, "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    client.post(f"/api/v1/tickets/{ticket}/messages", json={"body": "Still broken"}, headers=headers)
    changed = client.get(f"/api/v1/tickets/{ticket}", headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_staff_add_and_find_customers_and_customers_may_not(app: Flask) -> None:
    agent, customer = create_user(app, "agent"), create_user(app)
    staff = bearer(app, agent.id, "customers:write")
    client = app.test_client()
    added = client.post(
        "/api/v1/customers/", json={"email": "New.Buyer@Example.com", "name": "New Buyer"}, headers=staff
    )
    assert added.status_code == 201
    assert added.json["email"] == "new.buyer@example.com" and added.json["email_verified"] is False
    again = client.post(
        "/api/v1/customers/", json={"email": "new.buyer@example.com", "name": "Twice"}, headers=staff
    )
    assert again.status_code == 409 and str(added.json["id"]) in again.json["detail"]
    found = client.get(
        "/api/v1/customers/", query_string={"email": "new.buyer@example.com"}, headers=staff
    ).json
    assert [each["id"] for each in found["items"]] == [added.json["id"]]
    assert client.get(f"/api/v1/customers/{agent.id}", headers=staff).status_code == 404, (
        "staff are not customers"
    )
    own = bearer(app, customer.id, "tickets:read")
    assert client.get("/api/v1/customers/", headers=own).status_code == 403
    with app.app_context():
        kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.actor_id == agent.id)).all()
        assert "registered" in kinds
        assert db.session.scalar(select(func.count()).select_from(User).where(User.name == "Twice")) == 0


def test_unknown_fields_are_refused_in_the_query_and_the_body(app: Flask) -> None:
    """A misspelt filter would otherwise quietly return everything; a stray field would be lost."""
    headers = bearer(app, create_user(app).id, "tickets:write")
    client = app.test_client()
    misspelt = client.get("/api/v1/tickets/", query_string={"updated_sinse": "2026-01-01"}, headers=headers)
    assert misspelt.status_code == 422 and "updated_sinse" in misspelt.json["errors"]["query"]
    extra = client.post("/api/v1/tickets/", json={**NEW_TICKET, "urgent": True}, headers=headers)
    assert extra.status_code == 422 and "urgent" in extra.json["errors"]["json"]
    padded = client.post(
        "/api/v1/tickets/", json={**NEW_TICKET, "subject": "a" + "\x1e" * 300}, headers=headers
    )
    assert padded.status_code == 422 and "subject" in padded.json["errors"]["json"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
