"""Signing deliveries the Standard Webhooks way, so receivers can verify them with any of its libraries.

Each request carries ``webhook-id`` (the same for every retry), ``webhook-timestamp`` (Unix seconds
when this attempt was signed) and ``webhook-signature``: ``v1,`` and the Base64 HMAC-SHA256 of
``<id>.<timestamp>.<body>`` under the secret. The timestamp inside the signed text lets a receiver
refuse an old request replayed by someone who recorded it. A secret is ``whsec_`` and 32 random bytes
in Base64; while a rotated secret is still honoured, both signatures are sent, space-separated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (the marker secrets start with, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret, in the form receivers' Standard Webhooks libraries accept."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """One ``v1,<base64>`` signature of a request body; the receiver computes the same to trust it."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secrets_in_use: list[str], message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The headers that let a receiver check who sent a delivery, which one it is, and when."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(key, message_id, timestamp, body) for key in secrets_in_use),
    }
