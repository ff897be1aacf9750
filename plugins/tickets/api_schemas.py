"""What the tickets API takes and answers: the marshmallow schemas its routes and document are made from.

Limits are the pages' (``models``, ``attachments``): a subject, a message and a file are held to
the same sizes whichever way they come.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from portal.plugin import SyncArguments, Text, UploadedFile, UtcDateTime, page_of

from .attachments import MAX_FILES
from .models import BODY_MAX, PRIORITIES, STATUSES, SUBJECT_MAX
from .settings import categories

FILES_DESCRIPTION = (
    f"Up to {MAX_FILES} files, each within the largest size and of the types the administrator "
    "accepts (checked by content, as on the ticket page). Send them as parts named 'files' of a "
    "multipart/form-data body."
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


class AttachmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    message_id = ma.fields.Integer(required=True)
    filename = ma.fields.String(required=True, metadata={"description": "The name a download gets."})
    content_type = ma.fields.String(
        required=True, attribute="mimetype", metadata={"description": "What the file is, from its content."}
    )
    size = ma.fields.Integer(required=True, metadata={"description": "In bytes."})
    created_at = UtcDateTime(required=True)


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
    attachments = ma.fields.List(
        ma.fields.Nested(AttachmentSchema),
        required=True,
        metadata={
            "description": "The files sent with it; GET /tickets/{id}/attachments/{file id} downloads one."
        },
    )


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


def _files() -> ma.fields.List:
    return ma.fields.List(
        UploadedFile(), load_default=list, metadata={"maxItems": MAX_FILES, "description": FILES_DESCRIPTION}
    )


class NewTicketWithFilesSchema(NewTicketSchema):
    """A new ticket sent as multipart/form-data: its fields, and the files of its first message."""

    files = _files()


class NewMessageSchema(ma.Schema):
    body = Text(required=True, max_length=BODY_MAX)
    internal = ma.fields.Boolean(
        load_default=False, metadata={"description": "Staff only: a note for staff."}
    )


class NewMessageWithFilesSchema(NewMessageSchema):
    """A reply sent as multipart/form-data: its fields, and its files."""

    files = _files()


class StatusSchema(ma.Schema):
    status = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(STATUSES),
        metadata={"description": "Customers may close or reopen their side's tickets; staff may set any."},
    )


TicketPage = page_of(TicketSchema, "TicketPageSchema")
MessagePage = page_of(MessageSchema, "MessagePageSchema")
AttachmentPage = page_of(AttachmentSchema, "AttachmentPageSchema")
