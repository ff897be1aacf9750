"""Account flows as a customer lives them, including the ways they go wrong."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.database import db
from portal.testing import (
    CSRF_META,
    TEST_PASSWORD,
    create_user,
    csrf_token,
    link_in,
    log_in,
    post_form,
    read_outbox,
    text_of,
)
from portal.tokens import make_token

NEW_PASSWORD = "a brand new long passphrase"

CSRF_FIELD = re.compile(r'name="csrf_token" value="[^"]+"')


def _user(app, email):
    with app.app_context():
        return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def _audit_kinds(app):
    with app.app_context():
        return [e.kind for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _register(client, name="Nasrin Tehrani", email="nasrin@example.com", password=TEST_PASSWORD):
    return post_form(client, "/register", {"name": name, "email": email, "password": password})


# --- registering and confirming -----------------------------------------------------------------


def test_register_verify_and_sign_in(app, client):
    response = _register(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/check-email")
    assert "nasrin@example.com" in client.get("/register/check-email").get_data(as_text=True)

    [mail] = read_outbox(app)
    assert mail["To"].addresses[0].addr_spec == "nasrin@example.com"
    verify_path = link_in(mail, "/verify/")

    page = client.get(verify_path, follow_redirects=True).get_data(as_text=True)
    assert "your email address is confirmed" in page
    assert _user(app, "nasrin@example.com").email_verified

    log_in(client, "nasrin@example.com", TEST_PASSWORD)
    assert "Hello, <bdi>Nasrin Tehrani</bdi>" in client.get("/dashboard").get_data(as_text=True)
    assert _audit_kinds(app) == ["registered", "email_verified", "login"]


def test_verification_link_works_once(app, client):
    _register(client)
    verify_path = link_in(read_outbox(app)[0], "/verify/")
    client.get(verify_path)
    again = client.get(verify_path, follow_redirects=True).get_data(as_text=True)
    assert "already confirmed" in again


def test_tampered_and_expired_verification_links(app, client):
    _register(client)
    verify_path = link_in(read_outbox(app)[0], "/verify/")
    tampered = client.get(verify_path[:-3] + "abc")
    assert tampered.status_code == 400
    assert "This link does not work" in tampered.get_data(as_text=True)
    app.config["PORTAL_VERIFY_TOKEN_MAX_AGE"] = -1
    expired = client.get(verify_path, follow_redirects=True).get_data(as_text=True)
    assert "This confirmation link has expired" in expired
    assert not _user(app, "nasrin@example.com").email_verified


def test_an_expired_confirmation_link_says_so_once_and_resends_from_the_page(app, client):
    _register(client)
    verify_path = link_in(read_outbox(app)[0], "/verify/")
    app.config["PORTAL_VERIFY_TOKEN_MAX_AGE"] = -1
    other_browser = app.test_client()
    for browser in (client, other_browser):  # the one that registered, and one opened from the mail
        page = browser.get(verify_path, follow_redirects=True)
        html = page.get_data(as_text=True)
        assert "This confirmation link has expired" in html
        assert "We sent a message" not in html and "will send a new one" not in html
        assert 'action="/verify/resend"' in html and 'name="email"' in html
    resent = post_form(other_browser, "/verify/resend", {"email": "Nasrin@Example.com"})
    assert resent.status_code == 302
    mails = read_outbox(app)
    assert len(mails) == 2 and mails[1]["To"].addresses[0].addr_spec == "nasrin@example.com"
    app.config["PORTAL_VERIFY_TOKEN_MAX_AGE"] = 3600
    confirmed = other_browser.get(link_in(mails[1], "/verify/"), follow_redirects=True)
    assert "your email address is confirmed" in confirmed.get_data(as_text=True)


def test_unverified_account_cannot_sign_in_and_gets_a_new_link(app, client):
    _register(client)
    response = post_form(client, "/login", {"email": "nasrin@example.com", "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "Confirm your email address first" in response.get_data(as_text=True)
    assert len(read_outbox(app)) == 2
    assert client.get("/dashboard").status_code == 302


def test_register_with_taken_email_answers_the_same_and_mails_the_owner(app, client, make_user):
    owner = make_user(email="taken@example.com", name="Owner")
    fresh = _register(client, email="someone-new@example.com")
    taken = _register(client, name="Intruder", email="Taken@Example.com")
    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"]
    mails = read_outbox(app)
    assert [m["Subject"] for m in mails] == ["Confirm your email address", "You already have an account"]
    assert mails[1]["To"].addresses[0].addr_spec == owner.email
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_register_rejects_bad_input_keeps_what_was_typed(app, client):
    response = _register(client, name="N" * 101, email="not-an-email", password="short")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A name has at most 100 characters." in page
    assert "Enter an email address like name@example.com." in page
    assert "Use between 12 and 256 characters." in page
    assert 'value="not-an-email"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_register_rejects_overlong_email_and_password(app, client):
    page = _register(client, email=("a" * 250) + "@example.com", password="p" * 257).get_data(as_text=True)
    assert "An email address has at most 254 characters." in page
    assert "Use between 12 and 256 characters." in page


def test_passwords_are_stored_as_argon2id(app, client):
    _register(client)
    assert _user(app, "nasrin@example.com").password_hash.startswith("$argon2id$")


# --- signing in --------------------------------------------------------------------------------


def test_wrong_password_answers_like_unknown_email(app, client, make_user):
    user = make_user()
    wrong = post_form(client, "/login", {"email": user.email, "password": "wrong password!!"})
    unknown = post_form(client, "/login", {"email": "nobody@example.com", "password": "wrong password!!"})
    assert wrong.status_code == unknown.status_code == 200
    message = "That email address and password do not match."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert _audit_kinds(app) == ["login_failed", "login_failed"]


def test_sixth_wrong_password_is_refused_with_429(app, client, make_user):
    user = make_user()
    for _attempt in range(5):
        response = post_form(client, "/login", {"email": user.email, "password": "not my password"})
        assert response.status_code == 200
    sixth = post_form(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert sixth.status_code == 429
    assert "Too many attempts" in sixth.get_data(as_text=True)
    assert "Retry-After" in sixth.headers


def test_successful_sign_ins_do_not_count_towards_the_limit(app, client, make_user):
    user = make_user()
    for _attempt in range(7):
        log_in(client, user.email, TEST_PASSWORD)
        post_form(client, "/logout", {})


def test_login_starts_a_fresh_session(app, client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    log_in(client, user.email, TEST_PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_login_follows_only_local_next(app, client, make_user):
    user = make_user()
    token = csrf_token(client)
    data = {"csrf_token": token, "email": user.email, "password": TEST_PASSWORD}
    response = client.post("/login?next=//evil.example/x", data=data)
    assert response.headers["Location"] == "/dashboard"
    post_form(client, "/logout", {})
    token = csrf_token(client)
    response = client.post("/login?next=/account/", data={**data, "csrf_token": token})
    assert response.headers["Location"] == "/account/"


def test_remember_me_sets_a_lasting_cookie(app, client, make_user):
    user = make_user()
    log_in(client, user.email, TEST_PASSWORD, remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only


def test_logout_needs_post_with_csrf(app, client, login_as):
    login_as()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200
    post_form(client, "/logout", {})
    assert client.get("/dashboard").status_code == 302


def test_missing_csrf_token_is_refused_and_changes_nothing(app, client, login_as):
    login_as(name="Before")
    response = client.post("/account/", data={"name": "After", "language": "en", "timezone": "UTC"})
    assert response.status_code == 400
    assert "The form expired or did not come from this site" in response.get_data(as_text=True)
    assert "Hello, <bdi>Before</bdi>" in client.get("/dashboard").get_data(as_text=True)


# --- forgotten password -------------------------------------------------------------------------


def test_reset_password_by_emailed_link(app, client, make_user):
    user = make_user()
    page = post_form(client, "/forgot-password", {"email": user.email}).get_data(as_text=True)
    assert "a link to choose a new password is on its way" in page
    reset_path = link_in(read_outbox(app)[0], "/reset-password/")
    response = post_form(client, reset_path, {"password": NEW_PASSWORD})
    assert response.status_code == 302
    log_in(client, user.email, NEW_PASSWORD)
    assert client.get(reset_path).status_code == 400, "a reset link works once"
    assert "password_reset" in _audit_kinds(app)


def test_reset_answers_the_same_for_unknown_email(app, client, make_user):
    user = make_user()
    known = post_form(client, "/forgot-password", {"email": user.email}).get_data(as_text=True)
    unknown = post_form(client, "/forgot-password", {"email": "ghost@example.com"}).get_data(as_text=True)

    def comparable(page: str, email: str) -> str:
        # Every CSRF token (the meta tag's, the footer form's) carries a timestamp that may tick over.
        return CSRF_FIELD.sub("", CSRF_META.sub("", page.replace(email, "X")))

    assert comparable(known, user.email) == comparable(unknown, "ghost@example.com")
    assert len(read_outbox(app)) == 1


def test_expired_and_tampered_reset_links(app, client, make_user):
    user = make_user()
    post_form(client, "/forgot-password", {"email": user.email})
    reset_path = link_in(read_outbox(app)[0], "/reset-password/")
    assert client.get(reset_path + "x").status_code == 400
    with app.test_request_context():
        forged = make_token("verify", {"uid": user.id, "pw": "whatever"})
    assert client.get(f"/reset-password/{forged}").status_code == 400
    app.config["PORTAL_RESET_TOKEN_MAX_AGE"] = -1
    response = client.get(reset_path, follow_redirects=True)
    assert "That reset link has expired" in response.get_data(as_text=True)


# --- the account pages --------------------------------------------------------------------------


def test_profile_update_and_limits(app, client, login_as):
    user = login_as()
    bad = post_form(client, "/account/", {"name": "x" * 101, "language": "xx", "timezone": "Mars/Base"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Choose a time zone from the list" in page
    assert "A name has at most 100 characters." in page
    assert '<option value="Asia/Tehran">Iran Time</option>' in page, "zones are chosen from a list"
    assert _user(app, user.email).name == "Test Customer"

    ok = post_form(client, "/account/", {"name": "New Name", "language": "fa", "timezone": "Asia/Tehran"})
    assert ok.status_code == 302
    saved = _user(app, user.email)
    assert (saved.name, saved.language, saved.timezone) == ("New Name", "fa", "Asia/Tehran")


def test_the_address_is_optional_checked_and_kept_as_typed_when_refused(app, client, login_as):
    user = login_as()
    base = {"name": "Sara", "language": "en", "timezone": "Asia/Tehran"}
    bad = post_form(
        client,
        "/account/",
        base
        | {
            "address_street": "Valiasr St. 12\nUnit 4",
            "address_postal_code": "<b>",
            "address_city": "c" * 101,
            "address_country": "XX",
            "phone": "call me",
        },
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Use letters, digits, spaces and hyphens only" in page
    assert "Use at most 100 characters." in page
    assert "Choose a country from the list." in page
    assert "Write the number with digits, spaces and + ( ) - only" in page
    assert "Valiasr St. 12\nUnit 4" in page, "the street the customer typed is still in the form"
    assert _user(app, user.email).address_street == ""

    ok = post_form(
        client,
        "/account/",
        base
        | {
            "address_street": " Valiasr St. 12\nUnit 4 ",
            "address_postal_code": "۱۹۶۸۹",
            "address_city": "Tehran",
            "address_country": "IR",
            "phone": "+98 21 1234 5678",
        },
    )
    assert ok.status_code == 302
    saved = _user(app, user.email)
    assert (saved.address_street, saved.address_postal_code, saved.address_city) == (
        "Valiasr St. 12\nUnit 4",
        "۱۹۶۸۹",
        "Tehran",
    )
    assert (saved.address_country, saved.phone) == ("IR", "+98 21 1234 5678")
    assert '<option selected value="IR">Iran</option>' in client.get("/account/").get_data(as_text=True)
    exported = json.loads(client.get("/account/export").data)
    assert (
        exported["account"]["address"]["city"] == "Tehran"
        and exported["account"]["phone"] == "+98 21 1234 5678"
    )
    cleared = post_form(client, "/account/", base | {"address_country": "", "phone": ""})
    assert cleared.status_code == 302 and _user(app, user.email).phone == ""


def test_change_password_needs_current_and_ends_other_sessions(app, client, login_as):
    user = login_as()
    other_device = app.test_client()
    log_in(other_device, user.email, TEST_PASSWORD)

    wrong = post_form(
        client, "/account/password", {"current_password": "nope nope nope", "new_password": NEW_PASSWORD}
    )
    assert "That is not your current password." in wrong.get_data(as_text=True)

    ok = post_form(
        client, "/account/password", {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert ok.status_code == 302
    assert client.get("/dashboard").status_code == 200, "this session stays signed in"
    assert other_device.get("/dashboard").status_code == 302, "the other session is signed out"
    assert read_outbox(app)[-1]["Subject"] == "Your password was changed"
    assert "password_changed" in _audit_kinds(app)


def test_change_email_confirms_new_address_by_link(app, client, login_as):
    user = login_as()
    wrong = post_form(
        client, "/account/email", {"email": "new@example.com", "current_password": "bad password!"}
    )
    assert "That is not your current password." in wrong.get_data(as_text=True)

    post_form(client, "/account/email", {"email": "new@example.com", "current_password": TEST_PASSWORD})
    assert _user(app, user.email) is not None, "nothing changes before the link is opened"
    confirm = read_outbox(app)[-1]
    assert confirm["To"].addresses[0].addr_spec == "new@example.com"
    path = link_in(confirm, "/account/email/confirm/")
    client.get(path)
    assert _user(app, "new@example.com") is not None
    notice = read_outbox(app)[-1]
    assert notice["To"].addresses[0].addr_spec == user.email
    assert client.get(path).status_code == 400, "the link works once"


def test_change_email_to_taken_address_reveals_nothing(app, client, login_as, make_user):
    other = make_user(email="other@example.com")
    login_as()
    response = post_form(client, "/account/email", {"email": other.email, "current_password": TEST_PASSWORD})
    assert response.status_code == 302
    mail = read_outbox(app)[-1]
    assert mail["To"].addresses[0].addr_spec == other.email
    assert "/account/email/confirm/" not in text_of(mail)


def test_download_my_data(app, client, login_as):
    user = login_as(name="Data Owner")
    response = client.get("/account/export")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == user.email
    assert data["account"]["name"] == "Data Owner"
    assert "password_hash" not in json.dumps(data)
    assert data["plugins"] == {}


def test_delete_account_needs_password_and_confirmation(app, client, login_as):
    user = login_as()
    no_tick = post_form(client, "/account/delete", {"current_password": TEST_PASSWORD})
    assert "Tick the box" in no_tick.get_data(as_text=True)
    wrong = post_form(client, "/account/delete", {"current_password": "wrong password", "confirm": "y"})
    assert "That is not your current password." in wrong.get_data(as_text=True)
    assert _user(app, user.email) is not None

    done = post_form(client, "/account/delete", {"current_password": TEST_PASSWORD, "confirm": "y"})
    assert done.status_code == 302
    assert _user(app, user.email) is None
    assert client.get("/dashboard").status_code == 302
    assert "account_deleted" in _audit_kinds(app)


def test_last_administrator_cannot_delete_themselves(app, client, login_as):
    admin = login_as("admin")
    page = post_form(client, "/account/delete", {"current_password": TEST_PASSWORD, "confirm": "y"})
    assert "You are the only administrator" in page.get_data(as_text=True)
    assert _user(app, admin.email) is not None


def test_form_fields_describe_their_errors_and_hints_only_when_there_are_some(client):
    clean = client.get("/register").get_data(as_text=True)
    assert '="None"' not in clean
    assert 'aria-describedby="password-hint"' in clean
    assert "aria-invalid" not in clean
    page = post_form(client, "/register", {"name": "", "email": "x", "password": "short"}).get_data(
        as_text=True
    )
    assert 'aria-describedby="password-hint password-error"' in page
    assert 'id="password-error"' in page and 'aria-invalid="true"' in page


def test_registering_and_confirming_are_events_plugins_can_act_on(app, client):
    from portal.events import StoredEvent

    _register(client)
    client.get(link_in(read_outbox(app)[0], "/verify/"))
    with app.app_context():
        events = db.session.scalars(select(StoredEvent).order_by(StoredEvent.id)).all()
        user = db.session.scalars(select(User)).one()
    assert [(e.name, e.customer_id, e.payload) for e in events] == [
        ("core.registered", user.id, {"user_id": user.id}),
        ("core.email_verified", user.id, {"user_id": user.id}),
    ]


@pytest.mark.parametrize(
    "typed",
    [
        "=cmd|'/Ccalc'!a0@example.com",
        "+plus+tag@example.com",
        "o'brien!@example.com",
        "a|b=c@EXAMPLE.COM",
        "Mixed.Case@Example.Org",
    ],
)
def test_whatever_address_sign_up_accepts_sign_in_accepts(app, client, typed):
    assert _register(client, email=typed).status_code == 302
    [mail] = read_outbox(app)
    client.get(link_in(mail, "/verify/"))

    signed_in = log_in(client, typed, TEST_PASSWORD)
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    assert "Hello, <bdi>Nasrin Tehrani</bdi>" in client.get("/dashboard").get_data(as_text=True)


def test_signing_in_takes_the_address_however_it_was_cased(app, client):
    assert _register(client, email="Nasrin.T@Example.COM").status_code == 302
    [mail] = read_outbox(app)
    client.get(link_in(mail, "/verify/"))
    log_in(client, "nasrin.t@example.com", TEST_PASSWORD)
    assert "Hello, <bdi>Nasrin Tehrani</bdi>" in client.get("/dashboard").get_data(as_text=True)


def test_an_account_stored_by_any_path_keeps_the_one_spelling_sign_in_looks_up(app, client):
    # Accounts made outside the sign-up form (the CLI, demo data, an import, a test) go through the
    # model too: the address is kept in the spelling sign-in looks for.
    made = create_user(app, email=" =cmd|'/Ccalc'!a0@Example.com ")
    assert made.email == "=cmd|'/ccalc'!a0@example.com"
    log_in(client, "=cmd|'/Ccalc'!a0@example.com", TEST_PASSWORD)
    assert client.get("/dashboard").status_code == 200
