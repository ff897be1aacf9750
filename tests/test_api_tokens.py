"""The account page for API tokens, as a person uses it and as their tool then calls the API."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select, update

from portal.api.tokens import NAME_MAX, ApiToken
from portal.audit import AuditEvent
from portal.database import db, utcnow
from portal.testing import TEST_PASSWORD, create_user, csrf_token, log_in

PAGE = "/account/api-tokens/"
TOKEN_TEXT = re.compile(r"ptk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def _signed_in(app, client, **fields):
    user = create_user(app, **fields)
    log_in(client, user.email, TEST_PASSWORD)
    return user


def _make(client, name="Backup script", lifetime="30", **scopes):
    data = {"csrf_token": csrf_token(client), "name": name, "lifetime": lifetime}
    data.update({f"scope_{area}": access for area, access in (scopes or {"account": "read"}).items()})
    return client.post(PAGE, data=data)


def _made_text(response):
    assert response.status_code == 201, response.get_data(as_text=True)
    found = TOKEN_TEXT.findall(response.get_data(as_text=True))
    assert len(found) == 1, "the new token is written once on the page"
    return found[0]


def _tokens(app):
    with app.app_context():
        return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


def _bearer(text):
    return {"Authorization": f"Bearer {text}"}


def _revoke(client, token_id):
    return client.post(f"{PAGE}{token_id}/revoke", data={"csrf_token": csrf_token(client)})


def _audit_kinds(app):
    with app.app_context():
        return [event.kind for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


# --- making a token -------------------------------------------------------------------------------


def test_token_is_shown_once_and_stored_only_as_its_digest(app, client):
    _signed_in(app, client)
    response = _make(client)
    text = _made_text(response)
    assert "will not be shown again" in response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]
    assert 'value="Backup script"' not in response.get_data(as_text=True), "the form is empty again"

    listing = client.get(PAGE).get_data(as_text=True)
    assert text not in listing
    [token] = _tokens(app)
    assert f"ptk_{token.prefix}_…" in listing
    assert "Backup script" in listing and "Never used" in listing and "Active" in listing
    assert token.secret_digest != text
    columns = [str(getattr(token, column.key)) for column in ApiToken.__table__.columns]
    secret = text[len("ptk_") + 13 :]
    assert not any(text in value or secret in value for value in columns)


def test_page_links_the_reference_and_says_tokens_act_as_the_person(app, client):
    _signed_in(app, client)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'href="/api/v1/docs"' in page
    assert "It acts as you" in page
    assert 'href="/account/api-tokens/"' in client.get("/account/").get_data(as_text=True)


def test_scopes_and_expiry_are_what_the_form_chose(app, client):
    _signed_in(app, client)
    _made_text(_make(client, lifetime="7", account="write", notifications="read"))
    [token] = _tokens(app)
    assert token.scopes == ["account:write", "notifications:read"]
    assert timedelta(days=6, hours=23) < token.expires_at - utcnow() <= timedelta(days=7)


# --- the token at work ----------------------------------------------------------------------------


def test_token_calls_the_api_as_its_person_and_notes_its_use(app, client):
    user = _signed_in(app, client)
    text = _made_text(_make(client))
    api = app.test_client()  # a tool: no session cookie
    response = api.get("/api/v1/me", headers=_bearer(text))
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email
    [token] = _tokens(app)
    assert token.last_used_at is not None
    assert "Never used" not in client.get(PAGE).get_data(as_text=True)


def test_token_without_the_scope_is_refused_with_a_problem(app, client):
    _signed_in(app, client)
    text = _made_text(_make(client, notifications="read"))
    response = app.test_client().get("/api/v1/me", headers=_bearer(text))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "account:read" in response.get_json()["detail"]


def test_expired_token_is_refused(app, client):
    _signed_in(app, client)
    text = _made_text(_make(client))
    with app.app_context():
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert app.test_client().get("/api/v1/me", headers=_bearer(text)).status_code == 401
    assert "Expired" in client.get(PAGE).get_data(as_text=True)


def test_revoked_token_is_refused_and_revoking_twice_says_so(app, client):
    _signed_in(app, client)
    text = _made_text(_make(client))
    [token] = _tokens(app)

    response = _revoke(client, token.id)
    assert response.status_code == 303 and response.location.endswith(PAGE)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Token revoked." in page and "Revoked" in page
    assert app.test_client().get("/api/v1/me", headers=_bearer(text)).status_code == 401

    _revoke(client, token.id)
    assert "That token was already revoked." in client.get(PAGE).get_data(as_text=True)
    assert _audit_kinds(app).count("api_token_revoked") == 1


def test_another_persons_token_cannot_be_revoked(app, client):
    _signed_in(app, client)
    text = _made_text(_make(client))
    [token] = _tokens(app)

    intruder = app.test_client()
    _signed_in(app, intruder)
    assert _revoke(intruder, token.id).status_code == 404
    assert "Backup script" not in intruder.get(PAGE).get_data(as_text=True)
    [still] = _tokens(app)
    assert still.is_active
    assert app.test_client().get("/api/v1/me", headers=_bearer(text)).status_code == 200


def test_making_and_revoking_are_audited(app, client):
    _signed_in(app, client)
    _made_text(_make(client))
    [token] = _tokens(app)
    _revoke(client, token.id)
    kinds = _audit_kinds(app)
    assert "api_token_created" in kinds and "api_token_revoked" in kinds


# --- refused forms --------------------------------------------------------------------------------


def test_form_without_a_name_is_refused(app, client):
    _signed_in(app, client)
    response = _make(client, name="  ")
    assert response.status_code == 400
    assert "Give the token a name" in response.get_data(as_text=True)
    assert _tokens(app) == []


def test_form_without_a_scope_is_refused_and_keeps_the_name(app, client):
    _signed_in(app, client)
    response = _make(client, name="Nightly export", account="none", notifications="none")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose read or read and write for at least one area." in page
    assert 'value="Nightly export"' in page
    assert _tokens(app) == []


def test_an_access_that_is_not_offered_is_marked_beside_its_area(app, client):
    _signed_in(app, client)
    response = _make(client, name="Nightly export", account="read", notifications="everything")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="scope_notifications-error"' in page and 'aria-invalid="true"' in page
    assert _tokens(app) == []


def test_form_with_a_long_name_is_refused_and_keeps_it(app, client):
    _signed_in(app, client)
    long_name = "n" * (NAME_MAX + 1)
    response = _make(client, name=long_name)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert f"at most {NAME_MAX} characters" in page
    assert f'value="{long_name}"' in page
    assert _tokens(app) == []


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.location


def test_areas_where_nothing_writes_offer_reading_only(app, client):
    _signed_in(app, client)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'name="scope_organizations" type="radio" value="read"' in page
    assert 'name="scope_organizations" type="radio" value="write"' not in page, (
        "a customer's routes only read"
    )
    assert 'name="scope_notifications" type="radio" value="write"' in page
    refused = _make(client, organizations="write")
    assert refused.status_code == 400, "a level the page does not offer is refused"

    staff = app.test_client()
    _signed_in(app, staff, role="agent")
    page = staff.get(PAGE).get_data(as_text=True)
    assert 'name="scope_organizations" type="radio" value="write"' in page, "staff add organizations"
    for area in ("segments", "events"):
        assert f'name="scope_{area}" type="radio" value="read"' in page
        assert f'name="scope_{area}" type="radio" value="write"' not in page
