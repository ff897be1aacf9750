"""The example plugin's segment: customers who keep notes, for others to aim content at."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.plugin import Segment

from .models import Note


def note_keepers() -> list[Segment]:
    """One segment, keyed under the plugin's name; its members are a query, never a loaded list."""
    return [
        Segment(
            key="example.note-keepers",
            label=_l("Customers who keep notes"),
            member_ids=lambda: select(Note.user_id).distinct(),
        )
    ]
