"""The example plugin's approval kind: removing a customer's note waits for an administrator's yes."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import ApprovalKind, ApprovalRefusedError, User, db, sentence

from .models import Note

KIND = "example.remove_note"


def approval_kinds() -> list[ApprovalKind]:
    """One kind: the payload names the note; approving deletes it, a note already gone refuses."""
    return [ApprovalKind(name=KIND, label=_l("Remove a customer's note"), describe=describe, apply=apply)]


def describe(payload: dict[str, Any]) -> Markup:
    """What the administrator reads: the note's text, or that it is gone."""
    note = db.session.get(Note, payload.get("note_id") or 0)
    if note is None:
        return sentence(_("Remove a note that no longer exists."))
    return sentence(_("Remove the note %(body)s"), body=note.body)


def apply(payload: dict[str, Any], approver: User) -> None:
    """Delete the note; refuse when it went meanwhile, so the administrator knows nothing was done."""
    note = db.session.get(Note, payload.get("note_id") or 0)
    if note is None:
        raise ApprovalRefusedError(_("The note is gone already; decline the request."))
    db.session.delete(note)
