"""The tickets API: list and sync tickets, open them, read and add messages with files, change status.

The same rules as the pages, through the same functions: a customer's token sees what the customer
sees (their side's tickets and those they are in copy on), staff tokens see every ticket, internal
notes and their files are staff-only. Opening a ticket and replying go through ``sending``, as the
forms do: an ``Idempotency-Key`` is the form's one-time key (sending the same request again answers
with what the first one made), and the hourly allowance and attachment space are the same. Files
are held to the form's checks (``attachments``) and downloaded as the page sends them.
"""

from __future__ import annotations

from typing import Any, NoReturn

from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from portal.plugin import (
    IDEMPOTENCY_PARAMETER,
    ApiBlueprint,
    PageArguments,
    User,
    api_abort,
    api_access,
    api_page,
    current_api_user,
    db,
    idempotency_key,
)

from . import attachments, queries, sending, service
from .api_schemas import (
    AttachmentPage,
    MessagePage,
    MessageSchema,
    NewMessageSchema,
    NewMessageWithFilesSchema,
    NewTicketSchema,
    NewTicketWithFilesSchema,
    StatusSchema,
    TicketListArguments,
    TicketPage,
    TicketSchema,
)
from .models import Attachment, Message, Ticket

api = ApiBlueprint(
    "tickets_api", __name__, url_prefix="/tickets", description="Support tickets, their messages and files."
)

# What each refusal of ``sending`` is over HTTP: the space for files, the hourly limit, the file store.
REFUSAL_STATUS = {sending.QUOTA: 413, sending.HOURLY: 429, sending.FILES: 503}
FILE_RESPONSE = {"schema": {"type": "string", "format": "binary"}}
FILE_TYPES = [*attachments.TYPES_BY_NAME.values(), "application/octet-stream"]


def _readable(user: User) -> Any:
    return select(Ticket) if user.is_staff else select(Ticket).where(queries.readable_by(user))


def _ticket(user: User, ticket_id: int) -> Ticket:
    ticket = db.session.scalar(_readable(user).where(Ticket.id == ticket_id))
    if ticket is None:
        api_abort(404)
    return ticket


def _with_files(user: User, ticket_id: int, messages: list[Message]) -> list[dict[str, Any]]:
    """The messages as the API shows them, each with the files this token's account may see."""
    files = queries.attachments_by_message(ticket_id, staff=user.is_staff)
    return [
        {
            "id": message.id,
            "ticket_id": message.ticket_id,
            "author_id": message.author_id,
            "from_staff": message.from_staff,
            "internal": message.internal,
            "body": message.body,
            "created_at": message.created_at,
            "attachments": files.get(message.id, []),
        }
        for message in messages
    ]


def _checked_files(sent: list[FileStorage]) -> list[FileStorage]:
    """The files sent, once they pass the ticket form's own checks: how many, what type, how large.

    Each problem names the file and the limit; nothing is stored before all pass.
    """
    files = attachments.uploads_from(sent)
    if problems := attachments.check(files):
        api_abort(422, " ".join(problems), errors={"form": {"files": problems}})
    if too_large := attachments.oversized(files):
        api_abort(413, " ".join(too_large), errors={"form": {"files": too_large}})
    return files


def _refused(refused: sending.RefusedError) -> NoReturn:
    errors = {"form": {"files": refused.problems}} if refused.limit == sending.QUOTA else None
    api_abort(REFUSAL_STATUS[refused.limit], " ".join(refused.problems), errors=errors)


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
@api.json_or_files(NewTicketSchema, NewTicketWithFilesSchema)
@api.response(201, TicketSchema)
@api.doc(parameters=[IDEMPOTENCY_PARAMETER])
@api_access("customer", "tickets:write")
def open_ticket(fields: dict[str, Any]) -> Any:
    """Open a ticket with its first message and files; a retry with its Idempotency-Key answers that ticket.

    Files come as multipart/form-data, as on the new-ticket page. Staff opening a ticket for a
    customer add files with a reply once it is open, as on the staff page.
    """
    user = current_api_user()
    key = idempotency_key()
    customer = _customer_for(user, fields["customer_id"])
    files = _checked_files(fields["files"])
    if files and customer is not user:
        api_abort(
            422,
            errors={
                "form": {"files": ["Add files with a reply once the ticket is open, as on the staff page."]}
            },
        )
    try:
        return sending.send_ticket(
            customer,
            subject=fields["subject"],
            body=fields["body"],
            category=fields["category"],
            priority=fields["priority"],
            files=files,
            key=key,
            channel="web" if customer is user else "phone",
            opened_by=None if customer is user else user,
            hourly_limit=not user.is_staff,
        )
    except sending.RefusedError as refused:
        _refused(refused)


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
    """The ticket's conversation with each message's files, oldest first; internal notes only for staff."""
    user = current_api_user()
    ticket = _ticket(user, ticket_id)
    query = select(Message).where(Message.ticket_id == ticket.id)
    if not user.is_staff:
        query = query.where(Message.internal.is_(False))
    page = api_page(query, [Message.id], arguments)
    page["items"] = _with_files(user, ticket.id, page["items"])
    return page


@api.route("/<int:ticket_id>/messages", methods=["POST"])
@api.json_or_files(NewMessageSchema, NewMessageWithFilesSchema)
@api.response(201, MessageSchema)
@api.doc(parameters=[IDEMPOTENCY_PARAMETER])
@api_access("customer", "tickets:write")
def reply(fields: dict[str, Any], ticket_id: int) -> Any:
    """Add a message, with files as multipart/form-data; a customer's reply reopens their resolved ticket.

    With an Idempotency-Key, a retry answers the message the first request stored (with its files),
    also once the ticket has been closed since.
    """
    user = current_api_user()
    ticket = _ticket(user, ticket_id)
    key = idempotency_key() or ""
    if (earlier := service.find_reply(ticket, key)) is not None:
        return _with_files(user, ticket.id, [earlier])[0]
    if ticket.status == "closed":
        api_abort(409, message="This ticket is closed; reopen it (POST its status) to reply.")
    if not user.is_staff and not ticket.is_active and not queries.on_customer_side(user, ticket):
        api_abort(409, message="This ticket is resolved; only the customer who opened it can reopen it.")
    files = _checked_files(fields["files"])
    try:
        message = sending.send_reply(
            ticket,
            user,
            fields["body"],
            files=files,
            key=key,
            internal=fields["internal"],
            quota_of=None if user.is_staff else ticket.customer_id,
        )
    except sending.RefusedError as refused:
        _refused(refused)
    return _with_files(user, message.ticket_id, [message])[0]


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


@api.route("/<int:ticket_id>/attachments")
@api.etag
@api.arguments(PageArguments, location="query")
@api.response(200, AttachmentPage)
@api_access("customer", "tickets:read")
def list_attachments(arguments: dict[str, Any], ticket_id: int) -> Any:
    """The files of the ticket's conversation in the order they came; internal notes' only for staff."""
    user = current_api_user()
    ticket = _ticket(user, ticket_id)
    return api_page(queries.ticket_files(ticket.id, staff=user.is_staff), [Attachment.id], arguments)


@api.route("/<int:ticket_id>/attachments/<int:attachment_id>")
@api.doc(
    responses={
        "200": {
            "description": "The file, always as a download (Content-Disposition: attachment).",
            "content": {content_type: FILE_RESPONSE for content_type in FILE_TYPES},
        },
        "206": {
            "description": "The part of the file a Range header asked for.",
            "content": {content_type: FILE_RESPONSE for content_type in FILE_TYPES},
        },
        "304": {"description": "Not modified since the ETag sent in If-None-Match."},
    }
)
@api_access("customer", "tickets:read")
def download_attachment(ticket_id: int, attachment_id: int) -> Response:
    """One file, as the ticket page sends it: the same access check, name, type and headers.

    A customer's token reaches the files of messages the customer sees on tickets they may see;
    anything else (another customer's file, an internal note's) is a 404, as on the page.
    """
    user = current_api_user()
    if user.is_staff:
        attachment = queries.staff_attachment(ticket_id, attachment_id)
    else:
        attachment = queries.visible_attachment(user, ticket_id, attachment_id)
    if attachment is None:
        api_abort(404)
    return attachments.download(attachment)
