"""One received mail, start to end: check it, find its handler, let the handler take it, record it.

``receive`` is the one way in, for the SMTP receiver and the IMAP poller alike. Every mail leaves a
row in ``portal_inbound_mail``; a refused one also leaves its raw message in the storage for staff.
A handler's work and the "accepted" row commit together; when the handler refuses or fails, its work
is rolled back and the "refused" row is written in a fresh transaction. Only a database that cannot
be reached (or a misconfigured set of handlers) raises, so the sender's server tries again later.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import InterfaceError, OperationalError

from portal.accounts.models import find_user_by_email
from portal.contributions import MailHandler
from portal.database import db, utcnow
from portal.mail import send_mail
from portal.mail_in import checks
from portal.mail_in.addresses import (
    HANDLER_PATTERN,
    ReplyAddressError,
    ReplyTarget,
    is_our_address,
    mail_in_address,
    read_target,
    signature_matches,
)
from portal.mail_in.checks import RefusedByCheck, reason_source
from portal.mail_in.inbound import InboundMail, MailRefused
from portal.mail_in.models import ADDRESS_MAX, MESSAGE_ID_MAX, NAME_MAX, SUBJECT_MAX, InboundMailRecord
from portal.mail_in.parsing import (
    MalformedMailError,
    addresses_in,
    header_text,
    parse_message,
    read_mail,
    sender_of,
)
from portal.plugin_manager import PluginError, plugin_host
from portal.storage import discard_unless_committed, storage
from portal.urls import external_url

log = logging.getLogger(__name__)

RAW_MAIL_PREFIX = "mail-in"
# Headers a mailbox's server writes with the address a mail was delivered to, most telling first.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")


class MailStoreUnavailableError(RuntimeError):
    """The database could not be reached: nothing was recorded, so the sender must try again later."""


@dataclass
class Received:
    """What the record says about a mail, filled in as far as the checks got."""

    raw: bytes
    recipient: str
    received_at: datetime
    sender: str = ""
    subject: str = ""
    message_id: str = ""
    handler: str | None = None
    thread: str | None = None
    verified_reply: InboundMail | None = None  # a reply whose signed address matched its sender


def mail_handlers() -> list[MailHandler]:
    """The handlers of the enabled plugins, checked: unique names, at most one taking new mail."""
    handlers: dict[str, MailHandler] = {}
    for plugin, declared in plugin_host().call_each("portal_mail_handlers"):
        for handler in declared:
            if not isinstance(handler, MailHandler) or not HANDLER_PATTERN.fullmatch(handler.name):
                raise PluginError(
                    f"Plugin {plugin!r} returned {handler!r} from portal_mail_handlers; return "
                    "portal.plugin.MailHandler objects named in lowercase letters, digits and '_'."
                )
            if handler.name in handlers or len(handler.name) > NAME_MAX:
                raise PluginError(f"The mail handler name {handler.name!r} is used twice or is too long.")
            handlers[handler.name] = handler
    takers = [handler.name for handler in handlers.values() if handler.on_new is not None]
    if len(takers) > 1:
        raise PluginError(f"Only one mail handler may take new mail (on_new), but {', '.join(takers)} do.")
    return list(handlers.values())


def receive(
    raw: bytes, recipients: Sequence[str] = (), envelope_sender: str | None = None
) -> InboundMailRecord:
    """Take one received mail through the checks to its handler, record it and commit.

    ``recipients`` are the envelope's (the SMTP receiver's RCPT TO); empty, they are read from the
    headers (a polled mailbox). ``envelope_sender`` is the SMTP MAIL FROM ("" for a bounce). Returns
    the committed record; raises ``MailStoreUnavailableError`` when the database cannot be reached and
    ``PluginError`` when the handlers are misconfigured; either way nothing was recorded.
    """
    try:
        return _receive(raw, recipients, envelope_sender)
    except (OperationalError, InterfaceError) as error:
        db.session.rollback()
        raise MailStoreUnavailableError(str(error)) from error


def _receive(raw: bytes, recipients: Sequence[str], envelope_sender: str | None) -> InboundMailRecord:
    received = Received(raw=raw, recipient=_our_recipient(recipients), received_at=utcnow())
    try:
        checks.check_size(len(raw))
        message = parse_message(raw)
        received.subject = header_text(message, "Subject")
        received.message_id = header_text(message, "Message-ID")
        try:
            received.sender = sender_of(message)[0]
        except MalformedMailError:
            received.sender = header_text(message, "From").lower()
            raise
        if not recipients:
            received.recipient = _our_recipient(addresses_in(message, *RECIPIENT_HEADERS))
        checks.check_not_automatic(message)
        if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
            raise RefusedByCheck(checks.AUTOMATIC)
        checks.check_no_loop(received.sender)
        checks.check_not_taken_before(received.sender, received.message_id)
        _deliver(received, message)
    except RefusedByCheck as refusal:
        return _record_refused(received, refusal.reason)
    except MalformedMailError:
        return _record_refused(received, checks.MALFORMED)
    except MailRefused as refusal:
        db.session.rollback()
        record = _record_refused(received, refusal.reason)
        if refusal.answer is not None and received.verified_reply is not None:
            _answer_sender(received.verified_reply, refusal.answer)
        return record
    except (OperationalError, InterfaceError, PluginError):
        raise
    except Exception:
        log.exception("A mail handler failed on the mail %s from %s", received.message_id, received.sender)
        db.session.rollback()
        return _record_refused(received, checks.HANDLER_FAILED)
    return _record(received, "accepted", None)


def _our_recipient(recipients: Sequence[str]) -> str:
    """The recipient the mail is routed by: a reply address of ours first, then the plain support address."""
    ours = [address.strip().lower() for address in recipients if is_our_address(address)]
    tagged = [address for address in ours if "+" in address.partition("@")[0]]
    if tagged or ours:
        return (tagged or ours)[0]
    return "@".join(mail_in_address()).lower()


def _deliver(received: Received, message: EmailMessage) -> None:
    """Verify the reply address against the sender and call the handler it names (or the new-mail one)."""
    try:
        target = read_target(received.recipient)
    except ReplyAddressError:
        raise RefusedByCheck(checks.FORGED) from None
    handlers = mail_handlers()
    if target is None:
        takers = [handler for handler in handlers if handler.on_new is not None]
        if not takers or takers[0].on_new is None:
            raise RefusedByCheck(checks.NO_NEW_MAIL)
        received.handler = takers[0].name
        takers[0].on_new(read_mail(message, received.received_at))
        return
    _check_signature(received, target)
    handler = next((handler for handler in handlers if handler.name == target.handler), None)
    if handler is None:
        raise RefusedByCheck(checks.UNKNOWN_HANDLER)
    received.verified_reply = read_mail(message, received.received_at)
    handler.on_reply(received.verified_reply, target.thread)


def _check_signature(received: Received, target: ReplyTarget) -> None:
    received.handler, received.thread = target.handler[:NAME_MAX], target.thread[:NAME_MAX]
    if not signature_matches(target, received.sender):
        raise RefusedByCheck(checks.FORGED)


def _answer_sender(mail: InboundMail, answer: object) -> None:
    """Tell the sender why their reply was not taken, in their account's language, with what they wrote."""
    account = find_user_by_email(mail.sender)
    send_mail(
        mail.sender,
        account.name if account else mail.sender_name,
        "mail_refused",
        _l("Your mail was not added: %(subject)s", subject=mail.subject or "…"),
        account.language if account else None,
        timezone=account.timezone if account else None,
        calendar=account.calendar if account else None,
        answer=answer,
        text=mail.text,
        login_link=external_url("auth.login"),
    )
    db.session.commit()


def _record_refused(received: Received, reason: object) -> InboundMailRecord:
    """Record the refusal with the raw message kept for staff, in a transaction of its own."""
    stored = storage().save(io.BytesIO(received.raw), prefix=RAW_MAIL_PREFIX, filename_hint="message.eml")
    discard_unless_committed(stored.key)
    return _record(received, "refused", reason_source(reason), stored.key)


def _record(
    received: Received, status: str, reason: str | None, storage_key: str | None = None
) -> InboundMailRecord:
    record = InboundMailRecord(
        received_at=received.received_at,
        sender=received.sender[:ADDRESS_MAX],
        recipient=received.recipient[:ADDRESS_MAX],
        subject=received.subject[:SUBJECT_MAX],
        size=len(received.raw),
        message_id=received.message_id[:MESSAGE_ID_MAX],
        status=status,
        reason=reason,
        handler=received.handler,
        thread=received.thread,
        storage_key=storage_key,
    )
    db.session.add(record)
    db.session.commit()
    return record
