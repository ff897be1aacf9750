"""API tokens: made by a person for a tool, shown once, kept only as a digest, limited by scopes.

A token is ``ptk_<prefix>_<secret>``. The prefix is public: it finds the row and names the token in
lists and in the audit log. The secret is 32 random bytes, so the digest is a plain SHA-256: a slow
password hash protects guessable secrets, and nobody guesses 256 random bits, while every API
request checks one. The whole token is shown once, when it is made; after that not even the portal
can show it again, only revoke it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.accounts.models import User
from portal.audit import record
from portal.database import Model, db, rows_matched, utcnow

TOKEN_PATTERN = re.compile(r"^ptk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
NAME_MAX = 100
# A tool's token is refused after this long at the most; an expiry can be shorter.
LONGEST_LIFETIME = timedelta(days=366)
# The last-used time moves at most this often, so a busy integration does not write on every read.
LAST_USED_STEP = timedelta(minutes=1)


class ApiToken(Model):
    """A token one account made for a tool; it acts as that account, within its scopes."""

    __tablename__ = "portal_api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    prefix: Mapped[str] = mapped_column(String(12), unique=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    last_used_ip: Mapped[str | None] = mapped_column(String(45))
    revoked_at: Mapped[datetime | None] = mapped_column()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()

    def allows(self, scope: str) -> bool:
        """Whether the token was given ``scope``; a write scope includes reading the same area."""
        area, _colon, access = scope.partition(":")
        return scope in self.scopes or (access == "read" and f"{area}:write" in self.scopes)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    user: User, name: str, scopes: Iterable[str], expires_at: datetime, actor: User | None = None
) -> tuple[ApiToken, str]:
    """Make a token for ``user`` and return it with its text, which the caller shows once and drops.

    Audited as ``api_token_created`` by ``actor`` (an administrator making an integration's token),
    else by ``user``; kept only if the caller's transaction commits.
    """
    prefix = secrets.token_hex(6)
    text = f"ptk_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=prefix,
        secret_digest=_digest(text),
        scopes=sorted(set(scopes)),
        expires_at=min(expires_at, utcnow() + LONGEST_LIFETIME),
    )
    db.session.add(token)
    db.session.flush()
    details = {"token": prefix, "name": name, "scopes": token.scopes, "owner_id": user.id}
    record("api_token_created", (actor or user).id, **details)
    return token, text


def find_active_token(text: str) -> ApiToken | None:
    """The unrevoked, unexpired token ``text`` is, or ``None``: one indexed lookup and a digest compare."""
    match = TOKEN_PATTERN.match(text)
    if match is None:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == match.group(1)))
    if token is None or not hmac.compare_digest(token.secret_digest, _digest(text)):
        return None
    return token if token.is_active else None


def note_use(token: ApiToken, ip: str | None) -> None:
    """Move the token's last-used time (and address), at most once per ``LAST_USED_STEP``."""
    now = utcnow()
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .where((ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - LAST_USED_STEP))
        .values(last_used_at=now, last_used_ip=ip)
        .execution_options(synchronize_session=False)
    )


def tokens_of(user: User) -> list[ApiToken]:
    """The tokens ``user`` made, newest first, revoked and expired ones included so they can see them."""
    return list(
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    )


def revoke_token(user: User, token_id: int, actor: User) -> bool:
    """Revoke one of ``user``'s tokens; ``False`` when it was not theirs or was revoked already.

    Compare-and-set, so two clicks revoke (and audit) once.
    """
    revoked = rows_matched(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if revoked:
        prefix = db.session.scalar(select(ApiToken.prefix).where(ApiToken.id == token_id))
        record("api_token_revoked", actor.id, token=prefix, owner_id=user.id)
    return bool(revoked)
