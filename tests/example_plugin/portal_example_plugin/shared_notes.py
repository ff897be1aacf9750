"""Notes shared with the customer's organization: the pattern for scoping a plugin's queries.

A note belongs to its author. Marked ``shared``, it may also be read by the managers of the author's
organization; everyone else gets a 404, so nobody learns that a note they may not read exists. Who
manages whom comes from the core's ``scope_for``; this module only says which of its rows are shared.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, or_, select

from portal.plugin import Scope, User, customer, db, page_link_id, scope_for

from .models import Note

bp = Blueprint("example_notes", __name__, url_prefix="/example/notes", template_folder="templates")

PAGE_SIZE = 20


def visible_to(scope: Scope) -> ColumnElement[bool]:
    """One's own notes, private or not, and the shared notes of the customers one manages."""
    return or_(
        Note.user_id == scope.user_id,
        and_(Note.shared.is_(True), Note.user_id.in_(scope.shared_customer_ids())),
    )


@bp.route("/shared")
@customer
def shared() -> str:
    """The notes shared with the organization that the signed-in customer may read, newest first.

    A manager sees every member's shared notes; a member sees only their own.
    """
    scope = scope_for(current_user)
    query = (
        select(Note, User.name)
        .join(User, User.id == Note.user_id)
        .where(Note.shared.is_(True), Note.user_id.in_(scope.customer_ids()))
        .order_by(Note.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    before = page_link_id(request.args.get("before"))
    if before:
        query = query.where(Note.id < before)
    rows = db.session.execute(query).all()
    next_before = rows[PAGE_SIZE - 1].Note.id if len(rows) > PAGE_SIZE else None
    return render_template("example/shared_notes.html", rows=rows[:PAGE_SIZE], next_before=next_before)


@bp.route("/<int:note_id>")
@customer
def note(note_id: int) -> str:
    """One note, if the signed-in customer may read it; 404 otherwise, never 403."""
    row = db.session.execute(
        select(Note, User.name)
        .join(User, User.id == Note.user_id)
        .where(Note.id == note_id, visible_to(scope_for(current_user)))
    ).first()
    if row is None:
        abort(404)
    return render_template("example/note.html", note=row.Note, author=row.name)
