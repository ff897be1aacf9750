"""The rules a received mail must pass before any plugin sees it, each with a reason staff can read.

Checked in this order: size, form, automatic mail, loops. The reply address and the handler are
checked by ``routing``, which knows the handlers. Each reason is a lazy translation; its source text
is what the record keeps, so every reader sees it in their own language.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import Message
from email.utils import parseaddr

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.database import db, utcnow
from portal.mail_in.addresses import mail_in_address
from portal.mail_in.models import REASON_MAX, InboundMailRecord

SENDER_WINDOW = timedelta(minutes=10)
BULK_PRECEDENCE = ("bulk", "junk", "list")
AUTOMATIC_MARKERS = ("X-Autoreply", "X-Autorespond", "List-Id")

TOO_LARGE = _l("The mail is larger than the portal accepts.")
MALFORMED = _l("The mail could not be read: it is not a proper message or has no single sender address.")
AUTOMATIC = _l("The mail is an automatic reply or bulk mail, which the portal does not answer.")
OWN_ADDRESS = _l("The mail came from the portal's own address: a mail loop.")
TOO_MANY = _l("Too many mails from this sender in ten minutes: a possible mail loop.")
DUPLICATE = _l("This mail (the same Message-ID) was received and taken before.")
FORGED = _l("The reply address does not belong to this sender.")
UNKNOWN_HANDLER = _l("No part of the portal that is switched on takes mail for this address.")
NO_NEW_MAIL = _l("No part of the portal that is switched on takes new mail sent to the support address.")
HANDLER_FAILED = _l(
    "The mail could not be taken because of an error in the portal; the details are in its log."
)


class RefusedByCheck(Exception):  # noqa: N818  (reads as what happened to the mail)
    """A core check refused the mail; ``reason`` is one of the lazy translations above."""

    def __init__(self, reason: LazyString) -> None:
        super().__init__(str(reason))
        self.reason = reason


def reason_source(reason: object) -> str:
    """What a record keeps of a reason: the source text of a lazy translation, else the text itself.

    The staff page translates it for its reader; a translation with values filled in is kept as the
    text in the portal's default language, since its source has no single wording.
    """
    if isinstance(reason, LazyString) and len(reason._args) == 1 and not reason._kwargs:
        text = str(reason._args[0])
    else:
        text = str(reason)
    return text[:REASON_MAX]


def check_size(size: int) -> None:
    """Refuse a mail larger than PORTAL_MAIL_IN_MAX_BYTES (25 MB unless configured)."""
    if size > int(current_app.config["PORTAL_MAIL_IN_MAX_BYTES"]):
        raise RefusedByCheck(TOO_LARGE)


def check_not_automatic(message: Message) -> None:
    """Refuse automatic replies and bulk mail (RFC 3834): answering them starts loops and spam."""
    auto_submitted = str(message.get("Auto-Submitted") or "").strip().lower()
    precedence = str(message.get("Precedence") or "").strip().lower()
    return_path = message.get("Return-Path")
    if (
        (auto_submitted and not auto_submitted.startswith("no"))
        or precedence in BULK_PRECEDENCE
        or any(message.get(name) is not None for name in AUTOMATIC_MARKERS)
        or (return_path is not None and str(return_path).strip() == "<>")
    ):
        raise RefusedByCheck(AUTOMATIC)


def check_no_loop(sender: str) -> None:
    """Refuse mail from our own address, and from a sender who sent more than the limit in ten minutes."""
    own = {
        "@".join(mail_in_address()).lower(),
        parseaddr(current_app.config["PORTAL_MAIL_FROM"])[1].lower(),
    }
    local, _, domain = sender.rpartition("@")
    if sender in own or f"{local.partition('+')[0]}@{domain}" in own:
        raise RefusedByCheck(OWN_ADDRESS)
    recent = db.session.scalar(
        select(func.count())
        .select_from(InboundMailRecord)
        .where(InboundMailRecord.sender == sender, InboundMailRecord.received_at >= utcnow() - SENDER_WINDOW)
    )
    if (recent or 0) >= int(current_app.config["PORTAL_MAIL_IN_SENDER_LIMIT"]):
        raise RefusedByCheck(TOO_MANY)


def check_not_taken_before(sender: str, message_id: str) -> None:
    """Refuse a mail already taken (a sender's server retrying after a lost answer, a poll repeated)."""
    if not message_id:
        return
    taken = db.session.scalar(
        select(InboundMailRecord.id).where(
            InboundMailRecord.sender == sender,
            InboundMailRecord.message_id == message_id,
            InboundMailRecord.status == "accepted",
        )
    )
    if taken is not None:
        raise RefusedByCheck(DUPLICATE)
