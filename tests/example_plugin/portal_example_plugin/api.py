"""The example plugin's API: a customer's own notes, read and added with a token."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import select

from portal.plugin import (
    ApiBlueprint,
    PageArguments,
    Text,
    UtcDateTime,
    api_access,
    api_page,
    current_api_user,
    db,
    page_of,
)

from .models import BODY_MAX, Note

api = ApiBlueprint("example_api", __name__, url_prefix="/example/notes", description="A customer's notes.")


class NoteSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    body = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)


class NewNoteSchema(ma.Schema):
    body = Text(required=True, max_length=BODY_MAX)


NotePage = page_of(NoteSchema, "ExampleNotePageSchema")


@api.route("/")
@api.arguments(PageArguments, location="query")
@api.response(200, NotePage)
@api_access("customer", "example:read")
def notes(arguments: dict[str, Any]) -> Any:
    """The token's account's notes, newest first."""
    query = select(Note).where(Note.user_id == current_api_user().id)
    return api_page(query, [Note.id], arguments, descending=True)


@api.route("/", methods=["POST"])
@api.arguments(NewNoteSchema)
@api.response(201, NoteSchema)
@api_access("customer", "example:write")
def add_note(fields: dict[str, Any]) -> Any:
    """Keep a new note for the token's account."""
    note = Note(user_id=current_api_user().id, body=fields["body"])
    db.session.add(note)
    db.session.commit()
    return note
