"""Helpers for testing the portal and its plugins: accounts, signing in, forms with CSRF, the outbox,
the clock, scheduled tasks, emitted events, and the safety nets every plugin should pass.

The fixtures that use them are in ``portal.testing.fixtures``, which pytest loads by itself.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.test import TestResponse

from portal.accounts.models import User
from portal.api.tokens import issue_token
from portal.database import db, utcnow
from portal.passwords import hash_password
from portal.testing.clock import FrozenClock, freeze_clock
from portal.testing.events import events_emitted
from portal.testing.safety import Visit, check_migrations_match_models, walk_routes_anonymously
from portal.testing.scheduled import run_scheduled_task

__all__ = [
    "TEST_PASSWORD",
    "FrozenClock",
    "UserRecord",
    "Visit",
    "check_migrations_match_models",
    "create_user",
    "csrf_token",
    "events_emitted",
    "freeze_clock",
    "link_in",
    "log_in",
    "post_form",
    "read_outbox",
    "run_scheduled_task",
    "staff_figure",
    "statements_run",
    "statements_with_parameters",
    "text_of",
    "walk_routes_anonymously",
]

TEST_PASSWORD = "correct horse battery staple"  # noqa: S105 (the password of test accounts only)
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass(frozen=True)
class UserRecord:
    """What a test needs of an account it made, without holding an ORM object across app contexts."""

    id: int
    email: str
    name: str
    role: str


def create_user(app: Flask, role: str = "customer", verified: bool = True, **fields: object) -> UserRecord:
    """An account made directly in the database, skipping sign-up, so a test starts where it matters.

    Its password is ``TEST_PASSWORD`` unless ``password=`` says otherwise; other ``fields`` are set
    on the user (``name``, ``email``, ``language``…).
    """
    email = str(fields.pop("email", f"{role}-{uuid.uuid4().hex[:8]}@example.com"))
    name = str(fields.pop("name", f"Test {role.title()}"))
    password = str(fields.pop("password", TEST_PASSWORD))
    with app.app_context():
        user = User(
            email=email,
            name=name,
            role=role,
            password_hash=hash_password(password),
            email_verified_at=utcnow() if verified else None,
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return UserRecord(user.id, user.email, user.name, user.role)


def api_token(app: Flask, user_id: int, *scopes: str, days: int = 30) -> str:
    """A token for ``user_id`` with ``scopes``, made directly, as the Authorization header's value.

    ``client.get(url, headers={"Authorization": api_token(app, user.id, "tickets:read")})``.
    """
    with app.test_request_context():
        user = db.session.get(User, user_id)
        assert user is not None, f"no account {user_id}"
        _token, text = issue_token(user, "test tool", scopes, utcnow() + timedelta(days=days))
        db.session.commit()
    return f"Bearer {text}"


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, as a browser would find it in any page of the portal."""
    page = client.get("/", follow_redirects=True)
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match, "every page carries the CSRF token in a meta tag"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, object], **kwargs: object) -> TestResponse:
    """Post a form the way a browser does: with the session's CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client), **data}, **kwargs)


def log_in(client: FlaskClient, email: str, password: str, **extra: object) -> TestResponse:
    """Sign ``client`` in through the real sign-in form, so sessions are made as in production."""
    response = post_form(client, "/login", {"email": email, "password": password, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def read_outbox(app: Flask) -> list[EmailMessage]:
    """Mail the embedded default wrote to instance/mail, oldest first."""
    folder = Path(app.instance_path) / "mail"
    if not folder.exists():
        return []
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(folder.glob("*.eml"))
    ]


def text_of(message: EmailMessage) -> str:
    """The plain-text part of a mail: what a customer without HTML mail reads."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def link_in(message: EmailMessage, path_prefix: str) -> str:
    """The path of the first link in the mail's plain text that starts with ``path_prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", text_of(message))
    assert match, f"no {path_prefix} link in: {text_of(message)}"
    return match.group(1)


def staff_figure(page: str, name: str) -> str:
    """The words of the figure card ``name`` on the staff dashboard's HTML ``page``, tags stripped.

    A card reads label, value, the previous period and then its chart's numbers, so a test asserts
    what a person reads: ``staff_figure(page, "tickets.open") == "Open tickets 3"``.
    """
    card = re.search(
        r'<li class="figure-card[^"]*" id="figure-' + re.escape(name) + r'">(.*?)</li>', page, re.S
    )
    assert card, f"no figure {name!r} on the staff dashboard"
    return " ".join(re.sub(r"<[^>]+>", " ", card.group(1)).split())


@contextmanager
def statements_run(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL the app sends while the block runs: for query budgets and for telling
    a plugin's own statements from the database's cascades."""
    seen: list[str] = []
    with _each_statement(app, lambda statement, _parameters: seen.append(statement)):
        yield seen


@contextmanager
def statements_with_parameters(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """Collect the SQL the app sends while the block runs, each with its parameters: to ask the
    database afterwards for the plan of exactly the statement a page ran."""
    seen: list[tuple[str, Any]] = []
    with _each_statement(app, lambda statement, parameters: seen.append((statement, parameters))):
        yield seen


@contextmanager
def _each_statement(app: Flask, record: Callable[[str, Any], object]) -> Iterator[None]:
    with app.app_context():
        engine = db.engine

    def listener(_conn, _cursor, statement, parameters, _context, _many) -> None:
        record(statement, parameters)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", listener)


# --- notify and the email ---------------------------------------------------------------------------
