"""Signed, expiring links for email verification, password reset and email change.

Each token carries a fingerprint of the state it changes (the address it verifies, the password hash
it replaces), so once used the state differs and the same link no longer works: single use without a
table of spent tokens.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class ExpiredTokenError(Exception):
    """The link was genuine but is too old; the reader should ask for a new one."""


class InvalidTokenError(Exception):
    """The link was altered, belongs to another purpose, or was already used."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal.{purpose}")


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """Return the payload, or raise ExpiredTokenError / InvalidTokenError for the view to explain."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ExpiredTokenError from exc
    except BadSignature as exc:
        raise InvalidTokenError from exc
    if not isinstance(payload, dict):
        raise InvalidTokenError
    return payload


def fingerprint(value: str) -> str:
    """A short digest of a secret-bearing value, safe to put in a link."""
    return hashlib.sha256(value.encode()).hexdigest()[:20]
