"""Managing webhooks: which events can be subscribed to, and adding, changing, rotating and removing one.

Every change is audited, since a webhook sends customers' data out of the portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from portal import audit
from portal.database import db, utcnow
from portal.event_types import declared_events, event_label
from portal.plugin_manager import plugin_host
from portal.webhooks.models import Webhook, WebhookDelivery
from portal.webhooks.signing import new_secret

# How long a rotated-out secret still signs, so receivers can take the new one without a gap.
ROTATION_OVERLAP = timedelta(hours=24)
CORE_OWNER = "core"


@dataclass(frozen=True)
class SubscribableEvent:
    """An event an administrator can subscribe a webhook to, as the form lists it."""

    name: str
    label: str
    owner: str


def subscribable_events() -> list[SubscribableEvent]:
    """The core's events and those of the plugins switched on now, grouped by owner.

    A switched-off plugin emits nothing, so offering its events would promise deliveries that
    never come; a webhook keeps its subscription to them and receives them again once it is on.
    """
    events = declared_events()
    enabled = plugin_host().enabled()
    found = []
    for owner in events.owners():
        if owner != CORE_OWNER and owner not in enabled:
            continue
        for name, declared in events.by_name.items():
            if declared.owner == owner:
                found.append(
                    SubscribableEvent(name=name, label=event_label(declared.event_type), owner=owner)
                )
    return found


def create_webhook(url: str, description: str, events: list[str], actor_id: int) -> Webhook:
    """Subscribe ``url`` to ``events`` with a new secret, which the caller shows once. The caller commits."""
    now = utcnow()
    webhook = Webhook(
        url=url,
        description=description,
        events=sorted(set(events)),
        secret=new_secret(),
        active=True,
        failure_streak=0,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(webhook)
    db.session.flush()
    audit.record("webhook_created", actor_id, webhook_id=webhook.id, url=url, events=webhook.events)
    return webhook


def update_webhook(webhook: Webhook, url: str, description: str, events: list[str], actor_id: int) -> None:
    """Change where a webhook sends and what; deliveries already queued keep their address. Caller commits."""
    webhook.url = url
    webhook.description = description
    webhook.events = sorted(set(events))
    webhook.updated_at = utcnow()
    audit.record("webhook_changed", actor_id, webhook_id=webhook.id, url=url, events=webhook.events)


def rotate_secret(webhook: Webhook, actor_id: int) -> str:
    """A new signing secret; the old one signs beside it for ``ROTATION_OVERLAP``. Caller commits."""
    now = utcnow()
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_until = now + ROTATION_OVERLAP
    webhook.secret = new_secret()
    webhook.updated_at = now
    audit.record("webhook_secret_rotated", actor_id, webhook_id=webhook.id)
    return webhook.secret


def delete_webhook(webhook: Webhook, actor_id: int) -> None:
    """Remove a webhook; the database drops its delivery log with it, and queued deliveries send nothing.

    The caller commits.
    """
    audit.record("webhook_deleted", actor_id, webhook_id=webhook.id, url=webhook.url)
    db.session.delete(webhook)


def find_delivery(webhook_id: int, delivery_id: int) -> WebhookDelivery | None:
    """One delivery of one webhook, or ``None``: a delivery is reached only through its own webhook."""
    return db.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id
        )
    )
