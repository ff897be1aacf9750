"""Administrators' API routes for webhooks: an integration subscribes itself, reads its delivery log, resends.

The same rules as the webhook pages (portal/webhooks): the address is checked as a delivery checks
it, the secret is answered once (on creation and rotation) and never read back, and every change is
audited. A test event and a resend are answered 202: the job sends them after the answer.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import force_locale
from sqlalchemy import select

from portal.access import ADMIN
from portal.api.access import api_access, current_api_user
from portal.api.blueprint import ApiBlueprint
from portal.api.problems import api_abort
from portal.api.schemas import PageArguments, Text, UtcDateTime, api_page, page_of
from portal.database import db
from portal.webhooks.delivery import queue_test_event, resend, switch_off, switch_on
from portal.webhooks.destinations import DestinationRefusedError, resolve
from portal.webhooks.models import (
    DELIVERY_STATUSES,
    DESCRIPTION_MAX,
    URL_MAX,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from portal.webhooks.subscriptions import (
    create_webhook,
    delete_webhook,
    find_delivery,
    rotate_secret,
    subscribable_events,
    update_webhook,
)

webhooks_api = ApiBlueprint(
    "api_webhooks",
    __name__,
    url_prefix="/webhooks",
    description="Webhooks (administrators): where events are sent, and how their deliveries went.",
)


class WebhookSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    events = ma.fields.List(ma.fields.String(), required=True)
    active = ma.fields.Boolean(required=True)
    failure_streak = ma.fields.Integer(
        required=True, metadata={"description": "Failed attempts since the last success."}
    )
    disabled_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)


class WebhookWithSecretSchema(WebhookSchema):
    secret = ma.fields.String(
        required=True, metadata={"description": "The signing secret: shown in this answer only."}
    )


class SecretSchema(ma.Schema):
    secret = ma.fields.String(
        required=True,
        metadata={"description": "The new signing secret; the old one also signs for 24 hours."},
    )


class NewWebhookSchema(ma.Schema):
    url = Text(required=True, max_length=URL_MAX)
    description = Text(load_default="", min_length=0, max_length=DESCRIPTION_MAX)
    events = ma.fields.List(Text(max_length=100), required=True, validate=ma.validate.Length(min=1, max=200))


class WebhookChangeSchema(ma.Schema):
    url = Text(max_length=URL_MAX)
    description = Text(min_length=0, max_length=DESCRIPTION_MAX)
    events = ma.fields.List(Text(max_length=100), validate=ma.validate.Length(min=1, max=200))
    active = ma.fields.Boolean(
        metadata={"description": "false switches it off; true on, its streak forgotten."}
    )


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    message_id = ma.fields.String(required=True, metadata={"description": "The webhook-id header sent."})
    event_name = ma.fields.String(required=True)
    event_id = ma.fields.Integer(required=True, allow_none=True)
    status = ma.fields.String(required=True, metadata={"description": ", ".join(DELIVERY_STATUSES)})
    attempts = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    finished_at = UtcDateTime(required=True, allow_none=True)


class AttemptSchema(ma.Schema):
    started_at = UtcDateTime(required=True)
    duration_ms = ma.fields.Integer(required=True)
    request_headers = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={"description": "As sent, without the signature."},
    )
    response_status = ma.fields.Integer(required=True, allow_none=True)
    response_headers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), allow_none=True)
    response_body = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "The first 4 KiB."}
    )
    error = ma.fields.String(required=True, allow_none=True)


class DeliveryDetailSchema(DeliverySchema):
    body = ma.fields.String(required=True, metadata={"description": "The exact JSON sent."})
    attempts_made = ma.fields.List(ma.fields.Nested(AttemptSchema), required=True)


class DeliveryListArguments(PageArguments):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(DELIVERY_STATUSES))


WebhookPage = page_of(WebhookSchema, "WebhookPageSchema")
DeliveryPage = page_of(DeliverySchema, "WebhookDeliveryPageSchema")


@webhooks_api.route("/")
@webhooks_api.etag
@webhooks_api.arguments(PageArguments, location="query")
@webhooks_api.response(200, WebhookPage)
@api_access(ADMIN, "webhooks:read")
def webhooks(arguments: dict[str, Any]) -> Any:
    """Every webhook, oldest first; the secrets are never read back."""
    return api_page(select(Webhook), [Webhook.id], arguments)


@webhooks_api.route("/", methods=["POST"])
@webhooks_api.arguments(NewWebhookSchema)
@webhooks_api.response(201, WebhookWithSecretSchema)
@api_access(ADMIN, "webhooks:write")
def add_webhook(fields: dict[str, Any]) -> Any:
    """Subscribe an address to events; the answer carries the signing secret, this once."""
    _check_address(fields["url"])
    _check_events(fields["events"])
    webhook = create_webhook(fields["url"], fields["description"], fields["events"], current_api_user().id)
    db.session.commit()
    return webhook


@webhooks_api.route("/<int:webhook_id>")
@webhooks_api.etag
@webhooks_api.response(200, WebhookSchema)
@api_access(ADMIN, "webhooks:read")
def webhook(webhook_id: int) -> Any:
    """One webhook."""
    return _webhook(webhook_id)


@webhooks_api.route("/<int:webhook_id>", methods=["PATCH"])
@webhooks_api.arguments(WebhookChangeSchema)
@webhooks_api.response(200, WebhookSchema)
@api_access(ADMIN, "webhooks:write")
def change_webhook(fields: dict[str, Any], webhook_id: int) -> Any:
    """Change the address, description or events, or switch the webhook off or on."""
    found = _webhook(webhook_id)
    actor = current_api_user()
    if {"url", "description", "events"} & fields.keys():
        url = fields.get("url", found.url)
        if "url" in fields:
            _check_address(url)
        events = fields.get("events", found.events)
        if "events" in fields:
            _check_events(events)
        update_webhook(found, url, fields.get("description", found.description), events, actor.id)
    if fields.get("active") is True:
        switch_on(found, actor.id)
    elif fields.get("active") is False:
        switch_off(found, actor.id)
    db.session.commit()
    db.session.refresh(found)
    return found


@webhooks_api.route("/<int:webhook_id>", methods=["DELETE"])
@webhooks_api.response(204)
@api_access(ADMIN, "webhooks:write")
def remove_webhook(webhook_id: int) -> None:
    """Delete a webhook and its delivery log."""
    delete_webhook(_webhook(webhook_id), current_api_user().id)
    db.session.commit()


@webhooks_api.route("/<int:webhook_id>/secret", methods=["POST"])
@webhooks_api.response(200, SecretSchema)
@api_access(ADMIN, "webhooks:write")
def new_secret(webhook_id: int) -> Any:
    """A new signing secret, answered this once; the old one keeps signing beside it for a day."""
    secret = rotate_secret(_webhook(webhook_id), current_api_user().id)
    db.session.commit()
    return {"secret": secret}


@webhooks_api.route("/<int:webhook_id>/test", methods=["POST"])
@webhooks_api.response(202, DeliverySchema)
@api_access(ADMIN, "webhooks:write")
def send_test(webhook_id: int) -> Any:
    """Send a made-up ``core.webhook_test`` event; read the delivery afterwards to see the answer."""
    delivery = queue_test_event(_webhook(webhook_id), current_api_user())
    db.session.commit()
    return delivery


@webhooks_api.route("/<int:webhook_id>/deliveries")
@webhooks_api.arguments(DeliveryListArguments, location="query")
@webhooks_api.response(200, DeliveryPage)
@api_access(ADMIN, "webhooks:read")
def deliveries(arguments: dict[str, Any], webhook_id: int) -> Any:
    """The delivery log, newest first, optionally of one status."""
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == _webhook(webhook_id).id)
    if arguments["status"]:
        query = query.where(WebhookDelivery.status == arguments["status"])
    return api_page(query, [WebhookDelivery.id], arguments, descending=True)


@webhooks_api.route("/<int:webhook_id>/deliveries/<int:delivery_id>")
@webhooks_api.response(200, DeliveryDetailSchema)
@api_access(ADMIN, "webhooks:read")
def delivery(webhook_id: int, delivery_id: int) -> Any:
    """One delivery: the body sent and each attempt's request headers and answer."""
    found = _delivery(webhook_id, delivery_id)
    attempts = db.session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == found.id).order_by(WebhookAttempt.id)
    ).all()
    shown = {name: getattr(found, name) for name in DeliverySchema().fields}
    return {**shown, "body": found.body, "attempts_made": attempts}


@webhooks_api.route("/<int:webhook_id>/deliveries/<int:delivery_id>/resend", methods=["POST"])
@webhooks_api.response(202, DeliverySchema)
@api_access(ADMIN, "webhooks:write")
def resend_delivery(webhook_id: int, delivery_id: int) -> Any:
    """Send a finished delivery again under its id; one still being sent is a 409."""
    found = _delivery(webhook_id, delivery_id)
    if not resend(found):
        api_abort(409, "This delivery is still being sent; read it again when it has finished.")
    db.session.commit()
    db.session.refresh(found)
    return found


def _webhook(webhook_id: int) -> Webhook:
    found = db.session.get(Webhook, webhook_id)
    if found is None:
        api_abort(404)
    return found


def _delivery(webhook_id: int, delivery_id: int) -> WebhookDelivery:
    found = find_delivery(_webhook(webhook_id).id, delivery_id)
    if found is None:
        api_abort(404)
    return found


def _check_address(url: str) -> None:
    try:
        with force_locale("en"):
            resolve(url)
    except DestinationRefusedError as refused:
        api_abort(422, errors={"json": {"url": [str(refused)]}})


def _check_events(events: list[str]) -> None:
    offered = {event.name for event in subscribable_events()}
    unknown = sorted(set(events) - offered)
    if unknown:
        api_abort(
            422, errors={"json": {"events": [f"Not an event you can subscribe to: {', '.join(unknown)}."]}}
        )
