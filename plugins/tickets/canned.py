"""Canned replies: the ready answers staff keep, list, delete and start a reply from.

A canned reply may also be a macro: sending it sets the ticket's status, priority and category too,
each through ``service`` so events, history and notifications happen as for a change by hand.
They are shared by all staff and belong to no customer, so nothing here is scoped. The caller
commits.
"""

from __future__ import annotations

from sqlalchemy import Row, select

from portal.plugin import User, db, localized

from . import service
from .models import PRIORITIES, STATUSES, CannedReply, Ticket
from .settings import categories

LIST_MAX = 200


def canned_titles() -> list[Row[tuple[int, str]]]:
    """Every canned reply as (id, title) by title: what the "Insert a canned reply" list offers."""
    return list(
        db.session.execute(
            select(CannedReply.id, CannedReply.title).order_by(CannedReply.title).limit(LIST_MAX)
        )
    )


def canned_replies() -> list[CannedReply]:
    """Every canned reply with its text, by title, for the page that manages them."""
    return list(db.session.scalars(select(CannedReply).order_by(CannedReply.title).limit(LIST_MAX)).all())


def canned_text(reply_id: int, language: str) -> str | None:
    """The text of a canned reply in the customer's ``language`` (else the default one); None when it
    was deleted since the agent's page was shown."""
    reply = db.session.get(CannedReply, reply_id)
    return localized(reply, "body", language) if reply is not None else None


def find_canned_reply(reply_id: int) -> CannedReply | None:
    """The canned reply with this id, if it still exists."""
    return db.session.get(CannedReply, reply_id)


def add_canned_reply(title: str, body: str) -> CannedReply:
    """Keep a new canned reply for all staff."""
    reply = CannedReply(title=title, body=body)
    db.session.add(reply)
    return reply


def set_macro(reply: CannedReply, *, status: str, priority: str, category: str) -> None:
    """What sending ``reply`` also changes on a ticket; an empty value leaves that part alone."""
    reply.set_status = status or None
    reply.set_priority = priority or None
    reply.set_category = category or None


def apply_macro(ticket: Ticket, reply: CannedReply, actor: User) -> None:
    """Make the changes the macro names on ``ticket``, each through ``service`` (events, history, mail).

    A value that is no longer offered (a category the administrator removed) is left out.
    """
    if reply.set_priority in PRIORITIES:
        service.change_priority(ticket, reply.set_priority, actor)
    if reply.set_category and reply.set_category in categories():
        service.change_category(ticket, reply.set_category, actor)
    if reply.set_status in STATUSES:
        service.change_status(ticket, reply.set_status, actor)


def delete_canned_reply(reply: CannedReply) -> None:
    """Remove a canned reply; replies already sent with its text keep it."""
    db.session.delete(reply)


def with_canned_text(draft: str, canned: str) -> str:
    """The agent's draft with the canned text after it, a blank line between: nothing typed is lost."""
    if not draft.strip():
        return canned
    return f"{draft.rstrip()}\n\n{canned}"
