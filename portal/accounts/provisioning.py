"""Adding the account of a customer another system knows: the API's ``POST /customers`` and the import.

Both make the account the same way, here: a customer role, the language asked for (the portal's
default otherwise), an address not yet confirmed and a password nobody knows, so the customer
chooses one with "Forgot your password?", which also proves the address is theirs.
"""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.accounts.models import User, find_user_by_email, normalise_email
from portal.database import db
from portal.passwords import hash_password
from portal.unit_of_work import remembered

# The unit of work's name for the hash every account it adds gets (see ``_forgotten_password_hash``).
FORGOTTEN_PASSWORD_HASH = "portal.accounts.forgotten_password_hash"  # noqa: S105  (a name, not a secret)


class AddressTakenError(Exception):
    """An account has this address already; ``existing_id`` names it, or is ``None`` when it was
    added by another transaction at the same moment."""

    def __init__(self, existing_id: int | None) -> None:
        super().__init__(existing_id)
        self.existing_id = existing_id


def add_customer_account(
    email: str, name: str, language: str | None, *, actor_id: int | None, via: str
) -> User:
    """Add a customer account and audit it as ``registered`` by ``actor_id`` ``via`` the API or an import.

    Raises ``AddressTakenError`` when the address has an account, so the caller decides what that
    means (a 409 for the API, "unchanged" for an import). A twin added by another transaction at the
    same moment is caught too, inside a savepoint, so the caller's transaction goes on. It emits no
    ``core.registered``: that event means the customer signed up themselves. The caller commits.
    """
    email = normalise_email(email)
    if (existing := find_user_by_email(email)) is not None:
        raise AddressTakenError(existing.id)
    account = User(
        email=email,
        name=name,
        role="customer",
        password_hash=remembered(FORGOTTEN_PASSWORD_HASH, _forgotten_password_hash),
        language=language or current_app.config["PORTAL_DEFAULT_LANGUAGE"],
    )
    try:
        with db.session.begin_nested():
            db.session.add(account)
    except IntegrityError:
        raise AddressTakenError(None) from None
    audit.record("registered", actor_id=actor_id, customer_id=account.id, via=via)
    return account


def _forgotten_password_hash() -> str:
    """The hash of a random password thrown away at once: nobody can sign in with it.

    Hashed once per unit of work: argon2 takes a tenth of a second by design, which is hours for an
    import of 100,000 customers. Accounts sharing the hash of a password nobody has share nothing
    anyone can use; choosing a password replaces it.
    """
    return hash_password(secrets.token_urlsafe(32))
