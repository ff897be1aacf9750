"""Reading, exporting, erasing and seeding a customer's notes; every query is scoped to one account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select

from portal.plugin import SeedRun, db

from .models import Note

PAGE_SIZE = 20
DEMO_NOTE = "Remember to ask about the loyalty rewards next time."


@dataclass(frozen=True)
class NotesPage:
    notes: list[Note]
    next_before: int | None


def notes_page(user_id: int, before: int | None = None) -> NotesPage:
    """One page of the account's notes, newest first; ``before`` is the id the previous page ended at."""
    query = select(Note).where(Note.user_id == user_id).order_by(Note.id.desc()).limit(PAGE_SIZE + 1)
    if before:
        query = query.where(Note.id < before)
    notes = list(db.session.scalars(query))
    next_before = notes[PAGE_SIZE - 1].id if len(notes) > PAGE_SIZE else None
    return NotesPage(notes=notes[:PAGE_SIZE], next_before=next_before)


def count_notes(user_id: int | None = None) -> int:
    """How many notes one account keeps, or all accounts together when ``user_id`` is ``None``."""
    query = select(func.count()).select_from(Note)
    if user_id is not None:
        query = query.where(Note.user_id == user_id)
    return db.session.scalar(query) or 0


def count_authors() -> int:
    """How many accounts keep at least one note, for the staff page."""
    return db.session.scalar(select(func.count(func.distinct(Note.user_id)))) or 0


def export_notes(user_id: int) -> dict[str, Any] | None:
    """The account's notes as JSON-ready data, oldest first; ``None`` when the plugin holds none."""
    notes = db.session.scalars(select(Note).where(Note.user_id == user_id).order_by(Note.id)).all()
    if not notes:
        return None
    return {"notes": [{"body": note.body, "created_at": note.created_at.isoformat() + "Z"} for note in notes]}


def erase_notes(user_id: int) -> None:
    """Delete the account's notes inside the caller's transaction; the core commits or rolls back."""
    db.session.execute(delete(Note).where(Note.user_id == user_id))


def add_demo_notes(user_ids: list[int]) -> None:
    """Give each demo customer one note, unless an earlier run already did, so a rerun adds nothing."""
    seeded = set(
        db.session.scalars(select(Note.user_id).where(Note.user_id.in_(user_ids), Note.body == DEMO_NOTE))
    )
    for user_id in user_ids:
        if user_id not in seeded:
            db.session.add(Note(user_id=user_id, body=DEMO_NOTE))


def seed_notes(run: SeedRun) -> None:
    """One note per seeded customer, in bulk through the table: how a plugin answers ``portal_seed``."""
    rows = (
        {"user_id": user_id, "body": DEMO_NOTE, "created_at": run.started} for user_id in run.customer_ids
    )
    run.insert(Note, rows, len(run.customer_ids), "example notes")
