"""Deliveries: queued with the event in its transaction, sent by a job, logged, retried, and given up on.

A delivery is sent at least once and usually exactly once; after a crash between the request and
the commit of its log line it can be sent again, always with the same ``webhook-id``, so a receiver
that keeps the ids it has seen acts once. A request the receiver does not answer with 2xx fails the
job, which ``RETRY_POLICY`` retries with backoff like all background work. Each failed attempt adds
to the webhook's failure streak and a success resets it; a streak of
``PORTAL_WEBHOOK_DISABLE_AFTER`` switches the webhook off and tells the administrators, so a receiver
gone for good stops costing requests.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal import audit
from portal.accounts.models import User
from portal.database import db, rows_matched, utcnow
from portal.event_types import declared_events
from portal.jobs import Job, enqueue, task
from portal.metrics import WEBHOOK_ATTEMPTS
from portal.notifications.service import notify
from portal.urls import external_url
from portal.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from portal.webhooks.sending import Outcome, post
from portal.webhooks.signing import signed_headers

log = logging.getLogger(__name__)

DELIVER_TASK = "core.deliver_webhook"
TEST_EVENT = "core.webhook_test"
NOTICE_KIND = "core.webhooks"


class DeliveryFailedError(Exception):
    """The receiver did not accept this attempt; raised so the job is retried by the one retry policy."""


def event_body(
    name: str,
    event_id: int | None,
    created_at: datetime,
    payload: dict[str, object],
    customer_id: int | None,
    actor_id: int | None,
) -> str:
    """The JSON a receiver gets for one event: what happened, when, about whom, and the event's fields."""
    return json.dumps(
        {
            "type": name,
            "timestamp": created_at.replace(microsecond=0).isoformat() + "Z",
            "event_id": event_id,
            "customer_id": customer_id,
            "actor_id": actor_id,
            "data": payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def queue_for_event(
    event_id: int,
    name: str,
    created_at: datetime,
    payload: dict[str, object],
    customer_id: int | None,
    actor_id: int | None,
) -> int:
    """Add a delivery and its job for every active webhook subscribed to ``name``; count them.

    Runs inside ``record_event``, in the transaction that stores the event: the deliveries exist
    exactly when the event does. An event that keeps someone anonymous (an anonymous survey's answer)
    is not sent: its moment alone could name the person to whoever reads the receiver's log.
    """
    if customer_id is None and name in declared_events().anonymous_without_customer():
        return 0
    subscribed = [
        webhook_id
        for webhook_id, events in db.session.execute(
            select(Webhook.id, Webhook.events).where(Webhook.active.is_(True)).order_by(Webhook.id)
        )
        if name in (events or [])
    ]
    if not subscribed:
        return 0
    body = event_body(name, event_id, created_at, payload, customer_id, actor_id)
    for webhook_id in subscribed:
        _queue(WebhookDelivery(webhook_id=webhook_id, event_id=event_id, event_name=name, body=body))
    return len(subscribed)


def queue_test_event(webhook: Webhook, actor: User) -> WebhookDelivery:
    """A delivery of a made-up event to one webhook, so an administrator sees the receiver answer.

    It is sent even to a webhook that is switched off, which is how one checks a repaired receiver
    before switching it back on. The caller commits.
    """
    now = utcnow()
    payload: dict[str, object] = {
        "webhook_id": webhook.id,
        "message": "This is a test event from the portal.",
    }
    body = event_body(TEST_EVENT, None, now, payload, None, actor.id)
    return _queue(WebhookDelivery(webhook_id=webhook.id, event_id=None, event_name=TEST_EVENT, body=body))


def resend(delivery: WebhookDelivery) -> bool:
    """Send a finished delivery again, with the same id and body; ``False`` while it is still being sent.

    The caller commits.
    """
    matched = rows_matched(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id, WebhookDelivery.status.in_(("delivered", "failed", "skipped"))
        )
        .values(status="pending", finished_at=None)
        .execution_options(synchronize_session=False)
    )
    if matched:
        job_id = enqueue(DELIVER_TASK, delivery_id=delivery.id)
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery.id)
            .values(job_id=job_id)
            .execution_options(synchronize_session=False)
        )
    return bool(matched)


def _queue(delivery: WebhookDelivery) -> WebhookDelivery:
    db.session.add(delivery)
    db.session.flush()
    delivery.job_id = enqueue(DELIVER_TASK, delivery_id=delivery.id)
    return delivery


@task(DELIVER_TASK)
def deliver_webhook(delivery_id: int) -> None:
    """The job of one delivery: sign it, send it, log the attempt, and raise if it was not accepted.

    The attempt's log line and the failure streak are committed before raising, since a failed job
    rolls back what it left uncommitted.
    """
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status not in ("pending", "retrying"):
        return
    webhook = db.session.get(Webhook, delivery.webhook_id)
    if webhook is None:
        return
    if not webhook.active and delivery.event_name != TEST_EVENT:
        delivery.status, delivery.finished_at = "skipped", utcnow()
        return
    outcome = _attempt(webhook, delivery)
    if outcome.delivered:
        WEBHOOK_ATTEMPTS.labels("delivered").inc()
        delivery.status, delivery.finished_at = "delivered", utcnow()
        if webhook.failure_streak:
            webhook.failure_streak = 0
        return
    WEBHOOK_ATTEMPTS.labels("refused" if outcome.status is not None else "unreachable").inc()
    last = _is_last_attempt(delivery.job_id)
    delivery.status = "failed" if last else "retrying"
    if last:
        delivery.finished_at = utcnow()
    if delivery.event_name != TEST_EVENT:
        _count_failure(webhook)
    db.session.commit()
    raise DeliveryFailedError(outcome.summary)


def _attempt(webhook: Webhook, delivery: WebhookDelivery) -> Outcome:
    now = utcnow()
    keys = [webhook.secret]
    if webhook.previous_secret and webhook.previous_secret_until and webhook.previous_secret_until > now:
        keys.append(webhook.previous_secret)
    headers = signed_headers(keys, delivery.message_id, int(now.timestamp()), delivery.body)
    outcome = post(webhook.url, delivery.body, headers)
    delivery.attempts += 1
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            started_at=now,
            duration_ms=outcome.duration_ms,
            request_headers={key: value for key, value in headers.items() if key != "webhook-signature"},
            response_status=outcome.status,
            response_headers=outcome.headers,
            response_body=outcome.body,
            error=outcome.error,
        )
    )
    return outcome


def _is_last_attempt(job_id: int | None) -> bool:
    if job_id is None:
        return True
    row = db.session.execute(select(Job.attempts, Job.max_attempts).where(Job.id == job_id)).one_or_none()
    return row is None or row.attempts >= row.max_attempts


def _count_failure(webhook: Webhook) -> None:
    db.session.execute(
        update(Webhook)
        .where(Webhook.id == webhook.id)
        .values(failure_streak=Webhook.failure_streak + 1)
        .execution_options(synchronize_session=False)
    )
    streak = db.session.scalar(select(Webhook.failure_streak).where(Webhook.id == webhook.id)) or 0
    if streak >= int(current_app.config["PORTAL_WEBHOOK_DISABLE_AFTER"]) and switch_off(webhook, None):
        log.warning(
            "Webhook %s to %s switched off after %s failed attempts.", webhook.id, webhook.url, streak
        )
        for admin in db.session.scalars(
            select(User).where(User.role == "admin", User.is_integration.is_(False))
        ):
            notify(
                admin,
                NOTICE_KIND,
                _l("A webhook was switched off because its receiver kept failing"),
                _l(
                    "Deliveries to %(url)s failed %(count)s times in a row. Check the receiver, send a "
                    "test event, then switch the webhook on again.",
                    url=webhook.url,
                    count=streak,
                ),
                url=urlsplit(external_url("webhooks.detail", webhook_id=webhook.id)).path,
            )


def switch_off(webhook: Webhook, actor_id: int | None) -> bool:
    """Stop sending to a webhook (compare-and-set); ``False`` if it was off already.

    ``actor_id`` is the administrator who switched it off, or ``None`` for the failure limit. The
    caller commits.
    """
    switched = rows_matched(
        update(Webhook)
        .where(Webhook.id == webhook.id, Webhook.active.is_(True))
        .values(active=False, disabled_at=utcnow(), disabled_by_id=actor_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if switched:
        audit.record("webhook_disabled", actor_id, webhook_id=webhook.id, automatic=actor_id is None)
    return bool(switched)


def switch_on(webhook: Webhook, actor_id: int) -> bool:
    """Send to a webhook again, its failure streak forgotten; ``False`` if it was on already.

    Deliveries skipped while it was off are not sent on their own; the delivery log resends them.
    The caller commits.
    """
    switched = rows_matched(
        update(Webhook)
        .where(Webhook.id == webhook.id, Webhook.active.is_(False))
        .values(active=True, failure_streak=0, disabled_at=None, disabled_by_id=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if switched:
        audit.record("webhook_enabled", actor_id, webhook_id=webhook.id)
    return bool(switched)


def webhook_deliveries_of_jobs(job_ids: list[int]) -> dict[int, WebhookDelivery]:
    """The webhook delivery each of these jobs sends, so the operations page can name and link it."""
    if not job_ids:
        return {}
    rows = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.job_id.in_(job_ids)))
    return {row.job_id: row for row in rows if row.job_id is not None}
