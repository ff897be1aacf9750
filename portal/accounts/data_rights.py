"""A customer's rights over their data: a copy of all of it, and erasure with the account."""

from __future__ import annotations

from typing import Any

from portal import audit
from portal.accounts.models import User
from portal.database import db
from portal.plugin_manager import plugin_host


def export_customer_data(user: User) -> dict[str, Any]:
    """Everything the portal holds about ``user``: the core's record, then each plugin's, by name.

    Switched-off plugins answer too: their data is still held, so it is still the customer's to see.
    """
    return {
        "account": {
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "language": user.language,
            "timezone": user.timezone,
            "email_verified_at": _iso(user.email_verified_at),
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "plugins": {
            name: data
            for name, data in plugin_host().call_each(
                "portal_export_customer_data", enabled_only=False, user=user
            )
        },
    }


def erase_customer(user: User) -> None:
    """Delete the account after every installed plugin, enabled or not, erased its part.

    One transaction: if a plugin raises, nothing is deleted.
    """
    try:
        plugin_host().all_hooks.portal_erase_customer_data(user=user)
        audit.record("account_deleted", actor_id=None, user_id=user.id)
        db.session.delete(user)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None
