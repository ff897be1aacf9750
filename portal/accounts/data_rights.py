"""A customer's rights over their data: a copy of all of it, and erasure with the account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal import audit
from portal.accounts.models import User
from portal.database import db
from portal.notifications.models import Notification, NotificationPreference
from portal.organizations.membership import hand_over_before_erasure
from portal.organizations.models import Membership, Organization
from portal.plugin_manager import plugin_host
from portal.sent_mail import SentMail


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
            "calendar": user.calendar,
            "address": {
                "street": user.address_street,
                "postal_code": user.address_postal_code,
                "city": user.address_city,
                "country": user.address_country,
            },
            "phone": user.phone,
            "email_verified_at": _iso(user.email_verified_at),
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "organization": _organization_of(user),
        "notifications": _notifications_of(user),
        "emails_sent": _mail_sent_to(user),
        "plugins": {
            name: data
            for name, data in plugin_host().call_each(
                "portal_export_customer_data", enabled_only=False, user=user
            )
        },
    }


def erase_customer(user: User) -> None:
    """Delete the account after every installed plugin, enabled or not, erased its part.

    One transaction: if a plugin raises, nothing is deleted. The core's own rows about the person
    (notifications, the record of mail sent to them) go with the account, by the database's cascade.
    """
    try:
        hand_over_before_erasure(user.id)
        plugin_host().all_hooks.portal_erase_customer_data(user=user)
        audit.record("account_deleted", actor_id=None, user_id=user.id)
        db.session.delete(user)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _organization_of(user: User) -> dict[str, Any] | None:
    row = db.session.execute(
        select(Organization.name, Organization.kind, Membership.role, Membership.joined_at)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id)
    ).first()
    if row is None:
        return None
    return {"name": row.name, "kind": row.kind, "role": row.role, "joined_at": _iso(row.joined_at)}


def _notifications_of(user: User) -> dict[str, Any]:
    notifications = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    preferences = db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    )
    return {
        "received": [
            {
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
            }
            for n in notifications
        ],
        "email_preferences": {p.kind: p.email for p in preferences},
    }


def _mail_sent_to(user: User) -> list[dict[str, Any]]:
    """The mail the portal sent the person: what it was about, when, and whether the server took it."""
    mails = db.session.scalars(select(SentMail).where(SentMail.user_id == user.id).order_by(SentMail.id))
    return [
        {"subject": m.subject, "sent_at": _iso(m.created_at), "delivered_at": _iso(m.delivered_at)}
        for m in mails
    ]


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None
