"""Password hashing with argon2id, the current OWASP recommendation, and a length-only policy."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


def _hasher() -> PasswordHasher:
    profile = current_app.config.get("PORTAL_ARGON2_PROFILE", "RFC_9106_LOW_MEMORY")
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown account) spend the same time so timing reveals nothing."""
    hasher = _hasher()
    if password_hash is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy_hash(hasher), password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def _dummy_hash(hasher: PasswordHasher) -> str:
    cache = current_app.extensions.setdefault("portal_dummy_hash", {})
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in cache:
        cache[key] = hasher.hash("not a real password, only for timing")
    return cache[key]
