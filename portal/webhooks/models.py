"""What webhooks keep: the subscriptions, one delivery per event and subscription, and every attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import Model, utcnow

URL_MAX = 2000
DESCRIPTION_MAX = 200
SECRET_MAX = 64
EVENT_NAME_MAX = 100
# What the log keeps of a receiver's answer: enough to read its error, not a whole page.
RESPONSE_BODY_MAX = 4096
ERROR_MAX = 1000

DELIVERY_STATUSES = ("pending", "retrying", "delivered", "failed", "skipped")


class Webhook(Model):
    """An address an administrator subscribed to some events, with the secret its deliveries are signed with.

    The secret must be kept as it is (the portal signs with it); it is shown to administrators once,
    like an API token. ``previous_secret`` still signs beside the new one until
    ``previous_secret_until``, so a receiver can switch to a rotated secret without losing events.
    ``failure_streak`` counts failed attempts since the last success; at the deployment's limit the
    webhook is switched off and administrators are told, and the streak stays as it was for the page
    to say why.
    """

    __tablename__ = "portal_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_MAX))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(SECRET_MAX))
    previous_secret: Mapped[str | None] = mapped_column(String(SECRET_MAX))
    previous_secret_until: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    failure_streak: Mapped[int] = mapped_column(default=0)
    # Set when it was switched off; by nobody (``None``) when the failure streak did it.
    disabled_at: Mapped[datetime | None] = mapped_column()
    disabled_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Model):
    """One event for one webhook: the exact body sent, and where its sending stands.

    The body is written once, when the event is stored, so every attempt (and a resend weeks later)
    sends the same bytes under the same id, and a receiver can drop a repeat by that id. Tries and
    waits are its job's (``portal_jobs``), the one retry policy of all background work.
    """

    __tablename__ = "portal_webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_portal_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("portal_webhooks.id", ondelete="CASCADE"))
    # None for a test event, which is not a domain event.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("portal_events.id", ondelete="SET NULL"))
    event_name: Mapped[str] = mapped_column(String(EVENT_NAME_MAX))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("portal_jobs.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    @property
    def message_id(self) -> str:
        """The id a receiver deduplicates on: the same for every attempt and resend of this delivery."""
        return f"msg_{self.id}"


class WebhookAttempt(Model):
    """One request to a receiver and what came back, for the delivery log."""

    __tablename__ = "portal_webhook_attempts"
    __table_args__ = (Index("ix_portal_webhook_attempts_delivery_id_id", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("portal_webhook_deliveries.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int] = mapped_column(default=0)
    request_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response_status: Mapped[int | None] = mapped_column()
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(ERROR_MAX))

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300
