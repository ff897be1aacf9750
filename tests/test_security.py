"""Security by default: declared access on every view, headers, no inline script, role checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.access import declared_access

TEMPLATE_ROOTS = [Path(__file__).resolve().parent.parent / "templates"]


@pytest.mark.plugins("example")
def test_every_view_declares_who_may_reach_it(app):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not rule.endpoint.endswith(".static")
        and declared_access(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == [], f"views without an access declaration: {undeclared}"
    assert any(rule.endpoint.startswith("example.") for rule in app.url_map.iter_rules()), (
        "the walk covers plugin views too"
    )


@pytest.mark.plugins("example")
def test_url_map_walk_catches_an_undeclared_view(app):
    @app.route("/forgot-to-declare")
    def forgot_to_declare():
        return "oops"

    assert declared_access(app.view_functions["forgot_to_declare"]) is None


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_production_adds_hsts_and_secure_cookies(app_config):
    from portal import create_app

    app_config.update(PORTAL_ENV="production")
    app = create_app(dict(app_config))
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


def test_templates_have_no_inline_script_or_event_handlers():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    offenders = []
    for root in TEMPLATE_ROOTS:
        for path in root.rglob("*.html"):
            text = path.read_text()
            if inline_script.search(text) or handler.search(text):
                offenders.append(str(path))
    assert offenders == []


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        (None, "/dashboard", 302),
        (None, "/account/", 302),
        (None, "/staff/", 302),
        ("customer", "/staff/", 403),
        ("customer", "/staff/plugins", 403),
        ("agent", "/staff/", 200),
        ("agent", "/staff/plugins", 403),
        ("agent", "/staff/audit", 403),
        ("admin", "/staff/plugins", 200),
        ("admin", "/staff/audit", 200),
    ],
)
def test_roles_reach_only_their_pages(client, login_as, role, url, status):
    if role:
        login_as(role)
    assert client.get(url).status_code == status


def test_visitor_sent_to_login_keeps_the_destination(client):
    response = client.get("/account/password")
    assert response.headers["Location"] == "/login?next=/account/password"


def test_htmx_request_without_session_gets_401_and_a_redirect_header(client):
    response = client.get("/dashboard", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"


def test_htmx_post_carries_csrf_in_a_header(client, login_as):
    from portal.testing import csrf_token

    login_as()
    token = csrf_token(client)
    response = client.post(
        "/account/",
        data={"name": "Via htmx", "language": "en", "timezone": "UTC"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 302


def test_htmx_errors_go_to_the_pages_problem_box_not_into_the_swapped_element(client, login_as):
    login_as()
    missing = client.get("/no/such/page", headers={"HX-Request": "true"})
    assert missing.status_code == 404
    assert missing.headers["HX-Retarget"] == "#request-problem"
    assert missing.headers["HX-Reswap"] == "innerHTML"
    body = missing.get_data(as_text=True)
    assert "We cannot find that page" in body and "<html" not in body
    stale = client.post(
        "/account/",
        data={"name": "Via htmx", "language": "en", "timezone": "UTC"},
        headers={"HX-Request": "true", "X-CSRFToken": "expired"},
    )
    assert stale.status_code == 400 and stale.headers["HX-Retarget"] == "#request-problem"
    assert "Keep a copy of what you typed" in stale.get_data(as_text=True)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="request-problem"' in page, "every page has the box the problems go to"


def test_not_found_page_is_friendly(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We cannot find that page" in response.get_data(as_text=True)


def test_audit_log_filters_by_event(client, login_as, make_user):
    from portal.testing import TEST_PASSWORD, log_in, post_form

    user = make_user()
    other = client.application.test_client()
    post_form(other, "/login", {"email": user.email, "password": "wrong wrong wrong"})
    log_in(other, user.email, TEST_PASSWORD)
    login_as("admin")
    page = client.get("/staff/audit?kind=login_failed").get_data(as_text=True)
    assert page.count(">login_failed</td>") == 1
    assert ">login</td>" not in page


def test_client_address_comes_from_the_proxy_only_when_configured(app_config, make_user):
    from sqlalchemy import select

    from portal import create_app
    from portal.audit import AuditEvent
    from portal.database import db
    from portal.testing import post_form

    def failed_login_ip(config):
        app = create_app(dict(config))
        client = app.test_client()
        post_form(
            client,
            "/login",
            {"email": "x@example.com", "password": "wrong wrong wrong"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        with app.app_context():
            return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first().ip_address

    assert failed_login_ip(app_config) == "127.0.0.1"
    app_config["PORTAL_PROXY_HOPS"] = 1
    assert failed_login_ip(app_config) == "203.0.113.9"


def test_a_deleted_account_id_is_never_given_to_a_new_account(app, make_user):
    """Anything still keyed by the old id (a survey draft, a link) must not find its way to a stranger."""
    from portal.accounts.models import User
    from portal.database import db

    make_user()
    newest = make_user()
    with app.app_context():
        db.session.delete(db.session.get(User, newest.id))
        db.session.commit()
    assert make_user().id > newest.id


def test_the_sqlite_upgrade_to_autoincrement_keeps_every_account_and_what_it_owns(tmp_path):
    """Rebuilding portal_users must not cascade: with foreign keys on, dropping it deletes children."""
    import flask_migrate
    from sqlalchemy import text

    from portal import create_app
    from portal.database import db
    from portal.testing.fixtures import base_config

    app = create_app(base_config(tmp_path / "instance", f"sqlite:///{tmp_path / 'old.sqlite3'}", []))
    with app.app_context():
        flask_migrate.upgrade(revision="core_0006")
        db.session.execute(
            text(
                "INSERT INTO portal_users (id, email, name, password_hash, role, language, timezone,"
                " session_token, created_at) VALUES (1, 'a@example.com', 'A', 'x', 'customer', 'en',"
                " 'UTC', 't', '2026-01-01'), (2, 'b@example.com', 'B', 'x', 'customer', 'en', 'UTC', 't',"
                " '2026-01-01')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO portal_notifications (user_id, kind, title, body, created_at)"
                " VALUES (2, 'k', 'Kept', 'Kept', '2026-01-01')"
            )
        )
        db.session.commit()
        flask_migrate.upgrade(revision="heads")
        assert db.session.execute(text("SELECT count(*) FROM portal_notifications")).scalar() == 1
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.execute(text("DELETE FROM portal_users WHERE id = 2"))
        assert db.session.execute(text("SELECT count(*) FROM portal_notifications")).scalar() == 0
        db.session.execute(
            text(
                "INSERT INTO portal_users (email, name, password_hash, role, language, timezone,"
                " session_token, created_at) VALUES ('c@example.com', 'C', 'x', 'customer', 'en', 'UTC',"
                " 't', '2026-01-01')"
            )
        )
        assert db.session.execute(text("SELECT max(id) FROM portal_users")).scalar() == 3
        db.session.rollback()
        db.engine.dispose()


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999999", "123456789012345678", "0"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/staff/customers/{}"),
        ("POST", "/staff/operations/jobs/{}/retry"),
        ("GET", "/notifications/{}/open"),
    ],
)
def test_an_id_no_database_column_can_hold_is_not_found(client, login_as, method, url, number):
    """Past 2**31 - 1 PostgreSQL refuses the number, past 2**63 SQLite: the URL must not reach the query."""
    from portal.testing import csrf_token

    login_as("admin")
    data = {"csrf_token": csrf_token(client)} if method == "POST" else None
    assert client.open(url.format(number), method=method, data=data).status_code == 404


@pytest.mark.parametrize(
    ("rule", "path", "status"),
    [
        ("/<int:n>", "/1", 200),
        ("/<int:n>", "/2147483647", 200),
        ("/<int:n>", "/2147483648", 404),
        ("/<int:n>", "/0", 404),
        ("/<int(min=0):n>", "/0", 200),
        ("/<int(max=99):n>", "/100", 404),
        ("/<int(max=99):n>", "/99", 200),
        ("/<int(signed=True):n>", "/-5", 200),
        ("/<int(signed=True):n>", "/-2147483649", 404),
    ],
)
def test_the_int_converter_is_bounded_to_ids_and_keeps_explicit_bounds(app, rule, path, status):
    from portal.access import public

    app.add_url_rule(rule, "numbered", public(lambda n: str(n)))
    assert app.test_client().get(path).status_code == status
