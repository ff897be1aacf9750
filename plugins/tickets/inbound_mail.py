"""What a mail that came in brings, held to the web form's rules: its subject, text and files.

A mailed reply or request is held to the same limits as one typed on the page (length of the text,
how many files, which types, how large), and the same mail delivered twice is recognised by a
digest of its Message-ID.
"""

from __future__ import annotations

import hashlib
import io

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from portal.plugin import InboundMail, MailRefused, format_number

from . import attachments
from .models import BODY_MAX, FILENAME_MAX, SUBJECT_MAX


def message_digest(mail: InboundMail) -> str:
    """A fixed-length key for the mail's Message-ID, fit for a ``request_token`` column."""
    return hashlib.sha256(f"mail:{mail.message_id}".encode()).hexdigest()


def uploads_of(mail: InboundMail) -> list[FileStorage]:
    """The mail's attachments as uploads, so the web form's checks and storage take them unchanged."""
    return [
        FileStorage(
            stream=io.BytesIO(attachment.data),
            filename=attachment.filename[:FILENAME_MAX] or "file",
            content_type=attachment.content_type,
        )
        for attachment in mail.attachments
    ]


def file_problems(files: list[FileStorage]) -> list[str]:
    """Why these files cannot be kept (too many, a type we refuse, too large); empty when all may be.

    Checked before anything is stored, so a mail with one bad file keeps none of them.
    """
    return attachments.check(files) or attachments.oversized(files)


# What a sender is told when the files of their reply could not be kept; staff read the exact reasons.
FILES_NOT_TAKEN = _l(
    "Its files could not be kept: too large, of a type not accepted, or beyond your space for files."
    " Add them on the request's page, which says which and why."
)


def subject_of(mail: InboundMail) -> str:
    """The mail's subject as a ticket's subject: one line, within the limit, never empty."""
    subject = " ".join(mail.subject.split())[:SUBJECT_MAX]
    return subject or str(_l("(no subject)"))


def checked_content(mail: InboundMail) -> list[FileStorage]:
    """The mail's files, once its text and files pass the web form's limits; ``MailRefused`` otherwise.

    Nothing is stored before this passes, so a refused mail leaves nothing behind.
    """
    files = uploads_of(mail)
    if not mail.text.strip() and not files:
        raise MailRefused(_l("There is nothing new in the mail: no text and no attachment."))
    if len(mail.text) > BODY_MAX:
        raise MailRefused(
            _l(
                "The text is longer than %(limit)s characters, the most a message may have.",
                limit=format_number(BODY_MAX),
            ),
            answer=_l(
                "It is longer than a message may be. Send it in parts, or write it on the request's page."
            ),
        )
    if problems := file_problems(files):
        raise MailRefused(" ".join(problems), answer=FILES_NOT_TAKEN)
    return files
