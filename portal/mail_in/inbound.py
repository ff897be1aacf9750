"""The data types a plugin's mail handler receives and raises: the contract of ``portal_mail_handlers``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class InboundAttachment:
    """A file that came with an inbound mail; ``filename`` is already safe to store and show."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMail:
    """A received mail, reduced to what a handler needs.

    ``sender`` is the lower-cased address of From (the one the reply address was verified against);
    ``text`` is the new text only: quoted history and the signature are stripped, unless stripping
    would leave nothing.
    """

    sender: str
    sender_name: str
    subject: str
    text: str
    attachments: tuple[InboundAttachment, ...]
    message_id: str
    received_at: datetime


class MailRefused(Exception):  # noqa: N818  (the contract's name: it reads as what happened)
    """Raised by a mail handler to refuse a mail: the core rolls back and records ``reason``.

    ``reason`` should be a lazy translation; staff read it on the inbound-mail page. ``answer``, a lazy
    translation written to the sender ("Your request #12 is closed…"), is mailed back with the text
    they wrote, so a person whose reply was not taken learns why and keeps what they typed. Only a
    reply whose signed address matched its sender is answered: anything else may have a forged From.
    """

    def __init__(self, reason: Any, answer: Any = None) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.answer = answer
