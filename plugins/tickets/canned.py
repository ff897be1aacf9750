"""Canned replies: the ready answers staff keep, list, delete and start a reply from.

They are shared by all staff and belong to no customer, so nothing here is scoped. The caller
commits.
"""

from __future__ import annotations

from sqlalchemy import Row, select

from portal.plugin import db, localized

from .models import CannedReply

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


def delete_canned_reply(reply: CannedReply) -> None:
    """Remove a canned reply; replies already sent with its text keep it."""
    db.session.delete(reply)


def with_canned_text(draft: str, canned: str) -> str:
    """The agent's draft with the canned text after it, a blank line between: nothing typed is lost."""
    if not draft.strip():
        return canned
    return f"{draft.rstrip()}\n\n{canned}"
