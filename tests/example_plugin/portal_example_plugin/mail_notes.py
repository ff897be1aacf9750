"""Notes by email: a reply to a reply address of the example plugin becomes a note of the sender."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.plugin import InboundMail, MailHandler, MailRefused, User, db

from .models import BODY_MAX, Note

HANDLER_NAME = "example_notes"


def add_note_from_mail(mail: InboundMail, thread: str) -> None:
    """The thread is the account's id; the core has checked the address was made for this sender."""
    user = None
    if thread.isdigit() and len(thread) < 12:
        user = db.session.scalar(select(User).where(User.id == int(thread), User.email == mail.sender))
    if user is None:
        raise MailRefused(_l("No account of this sender keeps notes here."))
    db.session.add(Note(user_id=user.id, body=mail.text[:BODY_MAX]))


def mail_handlers() -> list[MailHandler]:
    """The one handler: replies only; new mail to the support address is not the plugin's."""
    return [MailHandler(HANDLER_NAME, on_reply=add_note_from_mail)]
