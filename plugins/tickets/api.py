"""The tickets API: list and sync tickets, open them, read and add messages, change status.

The same rules as the pages: a customer's token sees what the customer sees (their side's tickets
and those they are in copy on), staff tokens see every ticket, internal notes are staff-only, and
opening a ticket counts against the customer's hourly allowance. An ``Idempotency-Key`` is the
form's one-time key: sending the same request again answers with what the first one made.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.plugin import (
    ApiBlueprint,
    PageArguments,
    SyncArguments,
    Text,
    User,
    UtcDateTime,
    api_abort,
    api_access,
    api_page,
    current_api_user,
    db,
    idempotency_key,
    page_of,
)

from . import limits, queries, service
from .models import BODY_MAX, PRIORITIES, STATUSES, SUBJECT_MAX, Message, Ticket
from .settings import categories

api = ApiBlueprint(
    "tickets_api", __name__, url_prefix="/tickets", description="Support tickets and their messages."
)


class TicketSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    subject = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    priority = ma.fields.String(required=True, metadata={"enum": list(PRIORITIES)})
    status = ma.fields.String(required=True, metadata={"enum": list(STATUSES)})
    customer_id = ma.fields.Integer(required=True)
    assignee_id = ma.fields.Integer(required=True, allow_none=True)
    channel = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
    first_response_due = UtcDateTime(required=True)
    resolution_due = UtcDateTime(required=True)
    resolved_at = UtcDateTime(required=True, allow_none=True)
    closed_at = UtcDateTime(required=True, allow_none=True)


class MessageSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    ticket_id = ma.fields.Integer(required=True)
    author_id = ma.fields.Integer(required=True, allow_none=True)
    from_staff = ma.fields.Boolean(required=True)
    internal = ma.fields.Boolean(
        required=True, metadata={"description": "A staff note the customer never sees."}
    )
    body = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)


class TicketListArguments(SyncArguments):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))


class NewTicketSchema(ma.Schema):
    subject = Text(required=True, max_length=SUBJECT_MAX)
    body = Text(required=True, max_length=BODY_MAX)
    category = ma.fields.String(required=True, validate=ma.validate.Length(1, 40))
    priority = ma.fields.String(load_default="normal", validate=ma.validate.OneOf(PRIORITIES))
    customer_id = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(1, 2**31 - 1),
        metadata={"description": "Staff only: the customer the ticket is opened for."},
    )

    @ma.validates("category")
    def _offered(self, value: str, **_kwargs: Any) -> None:
        if value not in categories():
            raise ma.ValidationError(f"Choose one of: {', '.join(categories())}.")


class NewMessageSchema(ma.Schema):
    body = Text(required=True, max_length=BODY_MAX)
    internal = ma.fields.Boolean(
        load_default=False, metadata={"description": "Staff only: a note for staff."}
    )


class StatusSchema(ma.Schema):
    status = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(STATUSES),
        metadata={"description": "Customers may close or reopen their side's tickets; staff may set any."},
    )


TicketPage = page_of(TicketSchema, "TicketPageSchema")
MessagePage = page_of(MessageSchema, "MessagePageSchema")


def _readable(user: User) -> Any:
    return select(Ticket) if user.is_staff else select(Ticket).where(queries.readable_by(user))


def _ticket(user: User, ticket_id: int) -> Ticket:
    ticket = db.session.scalar(_readable(user).where(Ticket.id == ticket_id))
    if ticket is None:
        api_abort(404)
    return ticket


@api.route("/")
@api.etag
@api.arguments(TicketListArguments, location="query")
@api.response(200, TicketPage)
@api_access("customer", "tickets:read")
def list_tickets(arguments: dict[str, Any]) -> Any:
    """Tickets in the order they last changed, oldest change first: a sync resumes from its cursor.

    A customer's token lists their side's tickets and those they are in copy on; staff see all.
    """
    query = _readable(current_api_user())
    if arguments["status"]:
        query = query.where(Ticket.status == arguments["status"])
    if arguments["updated_since"]:
        query = query.where(Ticket.updated_at >= arguments["updated_since"])
    return api_page(query, [Ticket.updated_at, Ticket.id], arguments)


@api.route("/", methods=["POST"])
@api.arguments(NewTicketSchema)
@api.response(201, TicketSchema)
@api.doc(
    parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 64}}]
)
@api_access("customer", "tickets:write")
def open_ticket(fields: dict[str, Any]) -> Any:
    """Open a ticket with its first message; with an Idempotency-Key, a retry answers the same ticket."""
    user = current_api_user()
    key = idempotency_key()
    customer = _customer_for(user, fields["customer_id"])
    limits.hold_allowance(customer.id)
    opened = service.find_opened_ticket(customer.id, key)
    if opened is not None:
        return opened
    if not user.is_staff and (too_many := limits.creation_limit_problem(customer.id)):
        db.session.rollback()
        api_abort(429, message=str(too_many))
    try:
        ticket, _message = service.open_ticket(
            customer,
            subject=fields["subject"],
            body=fields["body"],
            category=fields["category"],
            priority=fields["priority"],
            request_token=key,
            channel="web" if customer is user else "phone",
            opened_by=None if customer is user else user,
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        opened = service.find_opened_ticket(customer.id, key)
        if opened is None:
            raise
        return opened
    return ticket


def _customer_for(user: User, customer_id: int | None) -> User:
    if customer_id is None or customer_id == user.id:
        return user
    if not user.is_staff:
        api_abort(403, message="Only staff may open a ticket for another customer.")
    customer = db.session.get(User, customer_id)
    if customer is None or customer.role != "customer":
        api_abort(422, errors={"json": {"customer_id": ["No customer has this id."]}})
    return customer


@api.route("/<int:ticket_id>")
@api.etag
@api.response(200, TicketSchema)
@api_access("customer", "tickets:read")
def get_ticket(ticket_id: int) -> Any:
    """One ticket, if this token's account may see it (otherwise 404, as if there were none)."""
    return _ticket(current_api_user(), ticket_id)


@api.route("/<int:ticket_id>/messages")
@api.etag
@api.arguments(PageArguments, location="query")
@api.response(200, MessagePage)
@api_access("customer", "tickets:read")
def list_messages(arguments: dict[str, Any], ticket_id: int) -> Any:
    """The ticket's conversation, oldest first; internal notes only for staff."""
    user = current_api_user()
    ticket = _ticket(user, ticket_id)
    query = select(Message).where(Message.ticket_id == ticket.id)
    if not user.is_staff:
        query = query.where(Message.internal.is_(False))
    return api_page(query, [Message.id], arguments)


@api.route("/<int:ticket_id>/messages", methods=["POST"])
@api.arguments(NewMessageSchema)
@api.response(201, MessageSchema)
@api.doc(
    parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 64}}]
)
@api_access("customer", "tickets:write")
def reply(fields: dict[str, Any], ticket_id: int) -> Any:
    """Add a message; a customer's reply reopens a resolved ticket of theirs, as on the page."""
    user = current_api_user()
    ticket = _ticket(user, ticket_id)
    key = idempotency_key() or ""
    if (earlier := service.find_reply(ticket, key)) is not None:
        return earlier
    if ticket.status == "closed":
        api_abort(409, message="This ticket is closed; reopen it (POST its status) to reply.")
    if not user.is_staff and not ticket.is_active and not queries.on_customer_side(user, ticket):
        api_abort(409, message="This ticket is resolved; only the customer who opened it can reopen it.")
    if not user.is_staff:
        limits.hold_allowance(ticket.customer_id)
    try:
        message = service.add_reply(ticket, user, fields["body"], token=key, internal=fields["internal"])
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        stored = service.find_reply(ticket, key)
        if stored is None:
            raise
        return stored
    return message


@api.route("/<int:ticket_id>/status", methods=["POST"])
@api.arguments(StatusSchema)
@api.response(200, TicketSchema)
@api_access("customer", "tickets:write")
def set_status(fields: dict[str, Any], ticket_id: int) -> Any:
    """Change the status; asking for the status it already has changes nothing and answers 200."""
    user = current_api_user()
    ticket = _ticket(user, ticket_id)
    new = fields["status"]
    if not user.is_staff:
        if not queries.on_customer_side(user, ticket):
            api_abort(403, message="Only the customer who opened the ticket, or their manager, may do this.")
        if new not in ("closed", "open") or (new == "open" and not service.can_reopen(ticket)):
            api_abort(409, message="Customers may close a ticket, or reopen one resolved or closed lately.")
    if service.change_status(ticket, new, user):
        db.session.commit()
    db.session.refresh(ticket)
    return ticket
