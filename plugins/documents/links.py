"""Signed, expiring links for the notification email; opening one still needs the customer signed in.

The token names the document and the customer it was sent to, signed with the app's SECRET_KEY
under this plugin's own salt, and expires after the ``link_days`` setting.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.plugin import get_setting

SALT = "documents.email-link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(document_id: int, user_id: int) -> str:
    return _serializer().dumps({"d": document_id, "u": user_id})


def read_token(token: str) -> tuple[int, int] | None:
    """``(document_id, user_id)`` from a genuine, unexpired token; ``None`` otherwise."""
    if not token or len(token) > 500:
        return None
    max_age = int(get_setting("documents", "link_days")) * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int) or not isinstance(data.get("u"), int):
        return None
    return data["d"], data["u"]
