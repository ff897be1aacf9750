"""Making and finding integration accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from portal import audit
from portal.accounts.models import User
from portal.api.tokens import ApiToken
from portal.database import db, utcnow

# Access levels an integration can act with: an agent's, or an administrator's (webhooks, settings).
ACCESS_LEVELS = ("agent", "admin")
# The reserved top-level domain (RFC 2606): an address there can never receive mail.
ADDRESS_DOMAIN = "integrations.invalid"
# Not an argon2 hash, so no password ever matches it.
NO_SIGN_IN_HASH = "!integration"


@dataclass(frozen=True)
class IntegrationSummary:
    """An integration as the administrators' list shows it."""

    id: int
    name: str
    role: str
    created_at: datetime
    active_tokens: int
    last_used_at: datetime | None


def create_integration(name: str, role: str, actor: User) -> User:
    """Make an integration account acting with ``role``'s access; audited as ``integration_created``.

    The address is made up and undeliverable, because the account table needs one and nobody
    should ever write to it.
    """
    if role not in ACCESS_LEVELS:
        raise ValueError(f"An integration acts as an agent or an administrator, not {role!r}.")
    integration = User(
        email=f"integration-{secrets.token_hex(8)}@{ADDRESS_DOMAIN}",
        name=name,
        password_hash=NO_SIGN_IN_HASH,
        role=role,
        language=current_app.config["BABEL_DEFAULT_LOCALE"],
        is_integration=True,
    )
    db.session.add(integration)
    db.session.flush()
    audit.record("integration_created", actor.id, integration_id=integration.id, name=name, role=role)
    return integration


def name_taken(name: str) -> bool:
    """Whether another integration has this name already, ignoring case: tokens are told apart by it."""
    same = select(User.id).where(User.is_integration.is_(True), func.lower(User.name) == name.lower())
    return db.session.scalar(same.limit(1)) is not None


def find_integration(integration_id: int) -> User | None:
    """The integration with this id; ``None`` for any other account, so staff pages stay out of reach."""
    found = db.session.get(User, integration_id)
    return found if found is not None and found.is_integration else None


def integration_summaries() -> list[IntegrationSummary]:
    """Every integration, by name, with its unexpired unrevoked tokens and their latest use, in one query."""
    now = utcnow()
    active = (ApiToken.revoked_at.is_(None)) & (ApiToken.expires_at > now)
    rows = db.session.execute(
        select(
            User.id,
            User.name,
            User.role,
            User.created_at,
            func.count(ApiToken.id).filter(active),
            func.max(ApiToken.last_used_at),
        )
        .outerjoin(ApiToken, ApiToken.user_id == User.id)
        .where(User.is_integration.is_(True))
        .group_by(User.id, User.name, User.role, User.created_at)
        .order_by(func.lower(User.name), User.id)
    ).all()
    return [IntegrationSummary(*row) for row in rows]
