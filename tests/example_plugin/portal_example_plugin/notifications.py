"""The kind of notification the example plugin sends: data only; the core stores, lists and mails it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import NotificationType

NOTE_REMINDER = "example.note_reminder"


def notification_types() -> list[NotificationType]:
    """Reminders about a customer's notes; quiet by default, so they come by email only if asked for."""
    return [
        NotificationType(
            kind=NOTE_REMINDER,
            label=_l("Note reminders"),
            description=_l("A reminder about a note you asked us to remind you of."),
            email_by_default=False,
        )
    ]
