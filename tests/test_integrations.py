"""Integrations: accounts an administrator makes for the business's other systems to use the API as.

They are seen as an administrator makes them and their tokens, as the system then calls the API,
as a customer reads what it wrote, and as someone tries to sign in as one.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugins.tickets import queries
from plugins.tickets.alert_recipients import all_staff
from portal.accounts.emails import mail_password_reset, mail_verification
from portal.accounts.models import User
from portal.api.tokens import ApiToken
from portal.audit import AuditEvent
from portal.database import db
from portal.integrations.accounts import NO_SIGN_IN_HASH
from portal.testing import TEST_PASSWORD, create_user, csrf_token, log_in, post_form, read_outbox

pytestmark = pytest.mark.plugins("tickets")

PAGE = "/staff/integrations/"
TOKEN_TEXT = re.compile(r"ptk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def _make_integration(client: FlaskClient, name: str = "Web shop", access: str = "agent"):
    return client.post(PAGE, data={"csrf_token": csrf_token(client), "name": name, "access": access})


def _integration(app: Flask, name: str = "Web shop") -> User:
    with app.app_context():
        found = db.session.scalar(select(User).where(User.name == name, User.is_integration.is_(True)))
        assert found is not None
        db.session.expunge(found)
        return found


def _make_token(client: FlaskClient, integration_id: int, **scopes: str) -> str:
    data = {"csrf_token": csrf_token(client), "name": "Shop server", "lifetime": "90"}
    data.update({f"scope_{area}": access for area, access in scopes.items()})
    answer = client.post(f"{PAGE}{integration_id}/", data=data)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    [text] = TOKEN_TEXT.findall(answer.get_data(as_text=True))
    return text


def _admin(app: Flask, client: FlaskClient) -> User:
    admin = create_user(app, role="admin", name="Ada Admin")
    log_in(client, admin.email, TEST_PASSWORD)
    return admin


def test_an_administrator_makes_an_integration_and_its_token_answers_the_ticket_as_the_integration(
    app: Flask, client: FlaskClient
) -> None:
    admin = _admin(app, client)
    made = _make_integration(client)
    assert made.status_code == 303
    integration = _integration(app)
    assert made.headers["Location"].endswith(f"{PAGE}{integration.id}/")
    text = _make_token(client, integration.id, tickets="write", account="read")
    assert "Shop server" in client.get(f"{PAGE}{integration.id}/").get_data(as_text=True)
    assert text not in client.get(f"{PAGE}{integration.id}/").get_data(as_text=True), "shown once"

    customer = create_user(app, name="Sara")
    shop = app.test_client()
    bearer = {"Authorization": f"Bearer {text}"}
    me = shop.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.json["name"] == "Web shop" and me.json["role"] == "agent"
    opened = shop.post(
        "/api/v1/tickets/",
        json={
            "subject": "Your parcel",
            "body": "It left the depot.",
            "category": "question",
            "customer_id": customer.id,
        },
        headers=bearer,
    )
    assert opened.status_code == 201, opened.get_data(as_text=True)
    reply = shop.post(
        f"/api/v1/tickets/{opened.json['id']}/messages", json={"body": "Delivered today."}, headers=bearer
    )
    assert reply.status_code == 201, reply.get_data(as_text=True)

    reader = app.test_client()
    log_in(reader, customer.email, TEST_PASSWORD)
    page = reader.get(f"/tickets/{opened.json['id']}").get_data(as_text=True)
    assert "Delivered today." in page and "Web shop" in page

    with app.app_context():
        kinds = {
            event.kind: event
            for event in db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == admin.id))
        }
        assert kinds["integration_created"].detail["role"] == "agent"
        assert kinds["api_token_created"].detail["owner_id"] == integration.id


def test_nobody_signs_in_as_an_integration_or_gets_mail_for_it(app: Flask, client: FlaskClient) -> None:
    _admin(app, client)
    _make_integration(client)
    integration = _integration(app)
    visitor = app.test_client()
    for password in (TEST_PASSWORD, NO_SIGN_IN_HASH, "x" * 12):
        answer = post_form(visitor, "/login", {"email": integration.email, "password": password})
        assert answer.status_code == 200 and 'name="password"' in answer.get_data(as_text=True)
        assert visitor.get("/staff/").status_code == 302, "still signed out"
    with visitor.session_transaction() as session:
        session["_user_id"] = integration.get_id()
        session["_fresh"] = True
    assert visitor.get("/staff/").status_code == 302, "a forged session for it loads nobody"
    post_form(visitor, "/forgot-password", {"email": integration.email})
    with app.test_request_context():
        mail_password_reset(integration.email)
        mail_verification(integration.email)
    assert read_outbox(app) == [], "no reset or confirmation link goes to an integration's made-up address"


def test_an_integration_is_nobody_to_assign_mention_or_alert(app: Flask, client: FlaskClient) -> None:
    _admin(app, client)
    _make_integration(client, name="Phone system")
    with app.test_request_context():
        assert "Phone system" not in [agent.name for agent in queries.agents()]
        assert "Phone system" not in [user.name for user in all_staff()]
    listing = client.get("/staff/customers/?role=all").get_data(as_text=True)
    assert "Phone system" not in listing, "people are listed; integrations have their own page"
    assert "Phone system" in client.get(PAGE).get_data(as_text=True)


def test_an_agent_integration_is_offered_no_administrator_areas_and_an_admin_one_is(
    app: Flask, client: FlaskClient
) -> None:
    _admin(app, client)
    _make_integration(client, name="Helpdesk bridge")
    _make_integration(client, name="Automation", access="admin")
    agent_form = client.get(f"{PAGE}{_integration(app, 'Helpdesk bridge').id}/").get_data(as_text=True)
    admin_form = client.get(f"{PAGE}{_integration(app, 'Automation').id}/").get_data(as_text=True)
    assert 'name="scope_tickets"' in agent_form and 'name="scope_webhooks"' not in agent_form
    assert 'name="scope_webhooks"' in admin_form
    text = _make_token(client, _integration(app, "Automation").id, webhooks="read")
    listed = app.test_client().get("/api/v1/webhooks/", headers={"Authorization": f"Bearer {text}"})
    assert listed.status_code == 200


def test_the_form_explains_what_is_wrong_and_makes_nothing(app: Flask, client: FlaskClient) -> None:
    _admin(app, client)
    empty = _make_integration(client, name="  ")
    assert empty.status_code == 400 and "Give the integration a name" in empty.get_data(as_text=True)
    assert _make_integration(client, name="x" * 101).status_code == 400
    assert _make_integration(client, access="customer").status_code == 400
    assert _make_integration(client).status_code == 303
    twin = _make_integration(client, name="WEB SHOP")
    assert twin.status_code == 400 and "Another integration has this name" in twin.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.is_integration.is_(True)).offset(1)) is None


def test_only_administrators_reach_the_pages_and_only_integrations_are_found(
    app: Flask, client: FlaskClient
) -> None:
    admin = _admin(app, client)
    _make_integration(client)
    integration = _integration(app)
    text = _make_token(client, integration.id, account="read")
    assert client.get(f"{PAGE}{admin.id}/").status_code == 404, "a person's account is not an integration"

    agent_client = app.test_client()
    agent = create_user(app, role="agent")
    log_in(agent_client, agent.email, TEST_PASSWORD)
    assert agent_client.get(PAGE).status_code == 403
    assert agent_client.get(f"{PAGE}{integration.id}/").status_code == 403

    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == integration.id))
    _make_integration(client, name="Other")
    other = _integration(app, "Other")
    wrong_owner = client.post(
        f"{PAGE}{other.id}/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client)}
    )
    assert wrong_owner.status_code == 404
    revoked = client.post(
        f"{PAGE}{integration.id}/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client)}
    )
    assert revoked.status_code == 303
    assert "Revoked" in client.get(f"{PAGE}{integration.id}/").get_data(as_text=True)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {text}"}).status_code == 401
