"""Mentions in internal notes: ``@handle`` names a colleague, who then hears of the note.

A member of staff's handle is the part of their email address before the ``@`` (``@ava`` for
ava@example.com), lower-cased: every account already has a unique address, agents know each other's,
and nothing new has to be chosen or kept. Two colleagues whose addresses share that part
(ava@example.com, ava@branch.example.com) are both mentioned by it; the assign list shows every
handle next to its name, so a clash is visible.
"""

from __future__ import annotations

import re

from sqlalchemy import func, or_, select

from portal.plugin import User, db

STAFF_ROLES = ("agent", "admin")
# An address's local part as people type it after "@": letters, digits and . _ + -, not ending in
# a dot or hyphen, so "@ava." at the end of a sentence still names ava.
MENTION = re.compile(r"(?<![\w.@+-])@([a-z0-9](?:[a-z0-9._+-]*[a-z0-9_+])?)", re.IGNORECASE)
# A note naming more colleagues than this is a list, not a request for attention; the rest are ignored.
MENTIONS_MAX = 20


def handle_of(email: str) -> str:
    """The handle a colleague is mentioned by: their email address up to the ``@``, lower-cased."""
    return email.split("@", 1)[0].lower()


def mentioned_handles(text: str) -> list[str]:
    """The handles ``text`` mentions, each once, in the order they first appear (at most 20)."""
    found: list[str] = []
    for match in MENTION.finditer(text):
        handle = match.group(1).lower()
        if handle not in found:
            found.append(handle)
    return found[:MENTIONS_MAX]


def mentioned_staff_ids(text: str) -> list[int]:
    """The ids of the staff ``text`` mentions, in one query; customers are never mentioned."""
    handles = mentioned_handles(text)
    if not handles:
        return []
    prefixes = [_escaped(handle) + "@%" for handle in handles]
    query = (
        select(User.id)
        .where(
            User.role.in_(STAFF_ROLES),
            User.is_integration.is_(False),
            or_(*(func.lower(User.email).like(p, escape="\\") for p in prefixes)),
        )
        .order_by(User.id)
    )
    return list(db.session.scalars(query))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
