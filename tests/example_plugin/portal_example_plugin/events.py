"""The events the example plugin emits: each is a frozen dataclass, declared through ``portal_event_types``.

Only this plugin's own code can emit them (``emit`` checks the caller's package), and only names in its
own namespace (``example.…``) may be declared, or the portal refuses to start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from portal.plugin import DomainEvent, Event, emit


@dataclass(frozen=True)
class NoteAdded(DomainEvent):
    """A customer kept a new note."""

    name: ClassVar[str] = "example.note_added"
    label: ClassVar[LazyString] = _l("A note was added")
    note_id: int
    tags: tuple[str, ...] = ()

    @property
    def fact(self) -> str:
        """Each note is added once: whatever reacts to it can key on ``added:<note id>``."""
        return f"added:{self.note_id}"


EVENT_TYPES: list[type[DomainEvent]] = [NoteAdded]


def note_added(
    note_id: int, tags: tuple[str, ...] = (), customer_id: int | None = None, actor_id: int | None = None
) -> Event:
    """Announce a new note in the caller's transaction; plugins hear of it after the commit."""
    return emit(NoteAdded(note_id=note_id, tags=tags), customer_id=customer_id, actor_id=actor_id)
