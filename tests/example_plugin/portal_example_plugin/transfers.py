"""The example plugin's CSV kinds: notes imported for customers by address, and exported.

``example.notes`` shows the least an import kind needs: a check that names what is wrong in a row,
and an apply step that knows a row it imported before (the same note for the same customer), so the
core's ``portal import`` and ``POST /api/v1/imports/example.notes`` can run the same file twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.plugin import ExportKind, ImportContext, ImportKind, ImportRowError, User, db
from portal.plugin import gettext_or_source as _

from .models import BODY_MAX, Note


@dataclass(frozen=True)
class NoteRow:
    """A checked row: whose note, and what it says."""

    user_id: int
    body: str


def check_note(row: Mapping[str, str], context: ImportContext) -> NoteRow:
    """The customer the row's address names, and a note of at most ``BODY_MAX`` characters."""
    email = row["email"].strip().lower()
    customer_id = db.session.scalar(select(User.id).where(User.email == email, User.role == "customer"))
    if customer_id is None:
        raise ImportRowError(_("No customer has the email %(email)s.", email=email))
    body = row["body"].strip()
    if not body or len(body) > BODY_MAX:
        raise ImportRowError(_("Write a note of 1 to %(max)d characters.", max=BODY_MAX))
    return NoteRow(customer_id, body)


def add_note(note: NoteRow, context: ImportContext) -> bool:
    """Add the note unless the customer has the same one already (imported before)."""
    kept = db.session.scalar(select(Note.id).where(Note.user_id == note.user_id, Note.body == note.body))
    if kept is not None:
        return False
    db.session.add(Note(user_id=note.user_id, body=note.body))
    return True


def note_rows(since: datetime | None) -> Iterator[Sequence[object]]:
    """Every note with its customer's address, oldest first."""
    query = select(User.email, Note.body, Note.created_at).join(User, User.id == Note.user_id)
    if since is not None:
        query = query.where(Note.created_at >= since)
    yield from db.session.execute(query.order_by(Note.id))


NOTES_IMPORT = ImportKind(
    name="example.notes",
    label=_l("Notes"),
    area="example",
    columns=("email", "body"),
    required=("email", "body"),
    check=check_note,
    apply=add_note,
    ignored=("created_at",),
)
NOTES_EXPORT = ExportKind(
    name="example.notes",
    label=_l("Notes"),
    area="example",
    columns=("email", "body", "created_at"),
    rows=note_rows,
)
