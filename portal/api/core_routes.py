"""The core's API routes: who the token is, and their notifications."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import select

from portal.access import CUSTOMER
from portal.api.access import api_access, current_api_user
from portal.api.blueprint import ApiBlueprint
from portal.api.problems import api_abort
from portal.api.schemas import PageArguments, UtcDateTime, api_page, page_of
from portal.database import db
from portal.notifications.models import Notification
from portal.notifications.service import find_own, mark_read

account_api = ApiBlueprint("api_account", __name__, description="The account a token acts for.")
notifications_api = ApiBlueprint(
    "api_notifications", __name__, url_prefix="/notifications", description="The account's notifications."
)


class AccountSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.Email(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata={"description": "customer, agent or admin"})
    language = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    url = ma.fields.String(required=True, allow_none=True, metadata={"description": "A path in the portal."})
    created_at = UtcDateTime(required=True)
    read_at = UtcDateTime(required=True, allow_none=True)


NotificationPage = page_of(NotificationSchema, "NotificationPageSchema")


@account_api.route("/me")
@account_api.etag
@account_api.response(200, AccountSchema)
@api_access(CUSTOMER, "account:read")
def me() -> Any:
    """The account the token acts for: check a new token with this call."""
    return current_api_user()


@notifications_api.route("/")
@notifications_api.etag
@notifications_api.arguments(PageArguments, location="query")
@notifications_api.response(200, NotificationPage)
@api_access(CUSTOMER, "notifications:read")
def notifications(arguments: dict[str, Any]) -> Any:
    """The account's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == current_api_user().id)
    return api_page(query, [Notification.id], arguments, descending=True)


@notifications_api.route("/<int:notification_id>/read", methods=["POST"])
@notifications_api.response(200, NotificationSchema)
@api_access(CUSTOMER, "notifications:write")
def read(notification_id: int) -> Any:
    """Mark one notification read (the first time it was read is kept)."""
    notification = find_own(current_api_user().id, notification_id)
    if notification is None:
        api_abort(404)
    mark_read(notification)
    db.session.commit()
    return notification
