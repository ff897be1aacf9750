"""Sending templated email: written to instance/mail by default, over SMTP when PORTAL_MAIL_URL is set.

A message is composed once, to the exact text that goes on the wire, and queued with its envelope
(sender and recipients) beside it. Delivery never re-parses the message to find out where it goes:
what a person typed into a name cannot choose a recipient. A message with attachments is too large
for a job's arguments; it waits in the file storage, which every machine shares, and the job
carries its key.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import smtplib
import ssl
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale

from portal.dates import force_calendar, force_zone
from portal.jobs import ARGUMENTS_MAX_BYTES, enqueue, task
from portal.metrics import counting_mail
from portal.sent_mail import mark_delivered, record_sent
from portal.storage import delete_after_commit, discard_unless_committed, storage

log = logging.getLogger(__name__)

# Control characters and every character Python's str.splitlines() takes for a line break.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# A short display name of words made only of these, one space apart, is written as it is; any other
# is RFC 2047-encoded.
PLAIN_NAME = re.compile(r"([A-Za-z0-9!#$%&'*+/^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/^_`{|}~-]+)*)?")
PLAIN_NAME_MAX = 40
# UTF-8 bytes per encoded word: base64 of 45 bytes is 60 characters, so each word stays within the
# 75 characters RFC 2047 allows.
ENCODED_WORD_BYTES = 45
# Bodies go out as quoted-printable or base64, never raw 8-bit: smtplib does not declare
# BODY=8BITMIME, so 8-bit text (Persian) must not travel as such (RFC 6152).
MAIL_POLICY = default_policy.clone(cte_type="7bit", linesep="\r\n")
MESSAGE_ID_DOMAIN = "portal.local"
# Attachments: a few files of modest size. Mail servers commonly refuse messages of 10 to 25 MB,
# and base64 makes an attachment a third larger on the wire.
ATTACHMENTS_MAX = 5
ATTACHMENT_BYTES_MAX = 5 * 1024 * 1024  # all attachments of one message together
ATTACHMENT_NAME_MAX = 100
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*(; *[a-z0-9-]+=[A-Za-z0-9.+-]+)*")
# A composed message up to this size travels in the job's arguments; a larger one in the storage.
INLINE_MESSAGE_MAX = ARGUMENTS_MAX_BYTES // 2
STORED_MAIL_PREFIX = "outbox"
# Every mail the portal sends says it was generated (RFC 3834), so a mail of ours that comes back to
# the inbound address is recognised as a loop, and well-behaved auto-responders do not answer it.
AUTO_SUBMITTED = "auto-generated"
# Headers a caller may not set: the ones compose_message writes itself.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "reply-to",
        "content-type",
        "content-transfer-encoding",
        "content-language",
        "mime-version",
    }
)
HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,60}")
HEADER_VALUE_MAX = 900


class MailAttachmentError(ValueError):
    """An attachment the mail cannot carry; the message says which and what fits."""


@dataclass(frozen=True)
class MailAttachment:
    """A file sent with an email: an .ics invitation, a PDF.

    ``content_type`` is the MIME type, with parameters if needed (``text/calendar; method=REQUEST``).
    """

    filename: str
    content_type: str
    data: bytes


def check_attachments(attachments: Sequence[MailAttachment]) -> None:
    """Refuse attachments a message cannot carry: too many, too large together, or badly named.

    Raised before anything is stored or queued, so the caller can fix the call; nothing is dropped.
    """
    if len(attachments) > ATTACHMENTS_MAX:
        raise MailAttachmentError(
            f"A mail carries at most {ATTACHMENTS_MAX} attachments, not {len(attachments)}; "
            "link to the rest in the portal instead."
        )
    total = 0
    for attachment in attachments:
        if not isinstance(attachment, MailAttachment) or not isinstance(attachment.data, bytes):
            raise MailAttachmentError(f"{attachment!r} is not a MailAttachment with bytes as its data.")
        name = attachment.filename
        if (
            not name.strip()
            or len(name) > ATTACHMENT_NAME_MAX
            or CONTROL_CHARACTERS.search(name)
            or "/" in name
            or "\\" in name
        ):
            raise MailAttachmentError(
                f"The attachment name {name!r} must be a file name of 1 to {ATTACHMENT_NAME_MAX} "
                "characters, without folders or control characters (invitation.ics)."
            )
        if not CONTENT_TYPE.fullmatch(attachment.content_type):
            raise MailAttachmentError(
                f"The attachment {name!r} has the content type {attachment.content_type!r}; "
                "give a MIME type such as 'application/pdf' or 'text/calendar; method=REQUEST'."
            )
        total += len(attachment.data)
    if total > ATTACHMENT_BYTES_MAX:
        raise MailAttachmentError(
            f"The attachments add up to {total} bytes; at most {ATTACHMENT_BYTES_MAX} fit in one mail."
        )


def check_headers(headers: Mapping[str, str]) -> None:
    """Refuse extra headers that could change where or how a mail goes, or break the header block.

    A value with a line break would start a new header (an injected Bcc); the headers the portal
    writes itself cannot be replaced. Raised before anything is queued, so the caller can fix the call.
    """
    for name, value in headers.items():
        if not HEADER_NAME.fullmatch(name) or name.lower() in RESERVED_HEADERS:
            raise ValueError(
                f"{name!r} cannot be set as an extra mail header: use letters, digits and '-', and "
                "none of the headers the portal writes itself (From, To, Subject, Reply-To…)."
            )
        if not isinstance(value, str) or CONTROL_CHARACTERS.search(value) or len(value) > HEADER_VALUE_MAX:
            raise ValueError(
                f"The mail header {name!r} must be one line of at most {HEADER_VALUE_MAX} characters."
            )


def _attach(message: EmailMessage, attachment: MailAttachment) -> None:
    mimetype, *options = (part.strip() for part in attachment.content_type.split(";"))
    maintype, subtype = mimetype.split("/")
    params = dict(option.split("=", 1) for option in options)
    message.add_attachment(
        attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename, params=params
    )


def safe_display_name(name: str) -> str:
    """A name a person typed, fit for a header: control characters (CR, LF…) become spaces.

    "=?" is split too: Python's header parser decodes an RFC 2047 encoded word even inside quotes,
    so "=?utf-8?q?Eve=0D=0ABcc:…?=" would otherwise put a raw CR LF (a new header) on the wire.
    """
    return CONTROL_CHARACTERS.sub(" ", name).replace("=?", "= ?").strip()


def encode_display_name(name: str) -> str:
    """The display name as header text that can only ever be read back as one name.

    A short name of letters, digits and spaces is written as it is. Any other (specials such as
    ``<>,;:"@``, non-ASCII letters, or long enough to be folded) becomes RFC 2047 encoded words:
    the email package's own folding drops the quotes around a long quoted name, and the pieces
    then parse as more addresses.
    """
    name = safe_display_name(name)
    if PLAIN_NAME.fullmatch(name) and len(name) <= PLAIN_NAME_MAX:
        return name
    return " ".join(
        f"=?utf-8?b?{base64.b64encode(chunk.encode()).decode('ascii')}?="
        for chunk in _encoded_word_chunks(name)
    )


def _encoded_word_chunks(name: str) -> list[str]:
    """Pieces of at most ENCODED_WORD_BYTES, cut before a space where there is one: a reader that
    (wrongly) shows a space between encoded words then shows it where the name had one anyway."""
    chunks: list[str] = []
    chunk = ""
    for character in name:
        if len((chunk + character).encode()) > ENCODED_WORD_BYTES:
            cut = chunk.rfind(" ")
            if cut <= 0 or len((chunk[cut:] + character).encode()) > ENCODED_WORD_BYTES:
                cut = len(chunk)
            chunks.append(chunk[:cut])
            chunk = chunk[cut:]
        chunk += character
    chunks.append(chunk)
    return [piece for piece in chunks if piece]


@dataclass(frozen=True)
class RecipientHeader:
    """The To header as we wrote it; the email package stores and writes it without refolding.

    The policy accepts a value with a ``name`` and writes it with its ``fold`` method, so the encoded
    display name reaches the wire exactly as ``encode_display_name`` made it.
    """

    display_name: str
    addr_spec: str
    name: str = "To"

    @property
    def value(self) -> str:
        encoded = encode_display_name(self.display_name)
        return f"{encoded} <{self.addr_spec}>" if encoded else f"<{self.addr_spec}>"

    def fold(self, *, policy: Any) -> str:
        """One header line per encoded word, so no line grows past what servers accept."""
        value = self.value.replace("?= ", "?=" + policy.linesep + " ")
        return f"{self.name}: {value}{policy.linesep}"

    def __str__(self) -> str:
        return self.value


def new_message_id() -> str:
    """A Message-ID that sorts by time and doubles as the mail's file name in instance/mail."""
    return f"<{time.time_ns()}.{uuid.uuid4().hex[:12]}@{MESSAGE_ID_DOMAIN}>"


def compose_message(
    sender: str,
    to_email: str,
    to_name: str,
    subject: str,
    text_body: str,
    html_body: str,
    locale: str,
    message_id: str | None = None,
    attachments: Sequence[MailAttachment] = (),
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """The whole message as it goes on the wire (ASCII, CRLF line ends), for one recipient.

    Kept separate from rendering so a test can check, for any name at all, that the To header
    parses back to exactly ``to_email``.
    """
    address = Address(addr_spec=to_email)  # refuses an address that is not one mailbox
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = safe_display_name(subject)
    message["From"] = sender
    message["To"] = RecipientHeader(to_name, address.addr_spec)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id or new_message_id()
    if reply_to is not None:
        message["Reply-To"] = Address(addr_spec=reply_to)
    extra = dict(headers or {})
    if not any(name.lower() == "auto-submitted" for name in extra):
        extra["Auto-Submitted"] = AUTO_SUBMITTED
    for name, value in extra.items():
        message[name] = value
    message.set_content(text_body)
    message.add_alternative(html_body, subtype="html")
    for attachment in attachments:
        _attach(message, attachment)
    message["Content-Language"] = locale  # after set_content, which drops every Content-* header
    return message.as_string()


def send_mail(
    to_email: str,
    to_name: str,
    template: str,
    subject: Any,
    locale: str | None = None,
    *,
    timezone: str | None = None,
    calendar: str | None = None,
    attachments: Sequence[MailAttachment] = (),
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> str:
    """Render ``templates/mail/<template>.txt`` and ``.html`` in the recipient's language and send them.

    The message is composed now (links and language resolved while the caller has them) and
    delivered by the ``core.deliver_mail`` job, queued in the caller's transaction with its
    envelope: the mail leaves only if that transaction commits, a failing mail server is retried,
    and with Redis configured no web request waits on SMTP. ``subject`` should be a lazy
    translation. Dates in the templates are written in the recipient's ``timezone`` (the site's
    default when ``None``) and ``calendar`` (a ``portal.dates.CALENDAR_CHOICES`` value; ``None`` is
    the language's usual calendar). ``attachments`` go with the message (``check_attachments`` says what
    fits). ``reply_to`` is the address replies go to (``reply_address`` makes a signed one that
    brings the reply back to a plugin); ``headers`` are extra one-line headers (``check_headers``).
    Every mail says ``Auto-Submitted: auto-generated`` unless ``headers`` sets its own. A mail to an
    account's address is recorded for that person's history (portal/sent_mail.py) in the same
    transaction. Returns the Message-ID.
    """
    check_attachments(attachments)
    check_headers(headers or {})
    if reply_to is not None:
        Address(addr_spec=reply_to)  # refuses anything but one mailbox, before anything is queued
    locale = locale or current_app.config["PORTAL_DEFAULT_LANGUAGE"]
    zone = timezone or current_app.config["PORTAL_DEFAULT_TIMEZONE"]  # never the sender's
    with force_locale(locale), force_zone(zone), force_calendar(calendar or "auto"):
        context.setdefault("recipient_name", to_name)
        subject_text = safe_display_name(str(subject))
        text_body = render_template(f"mail/{template}.txt", **context)
        html_body = render_template(f"mail/{template}.html", subject=subject_text, **context)
    sender = current_app.config["PORTAL_MAIL_FROM"]
    message_id = new_message_id()
    message = compose_message(
        sender,
        to_email,
        to_name,
        subject_text,
        text_body,
        html_body,
        locale,
        message_id,
        attachments,
        reply_to=reply_to,
        headers=headers,
    )
    record_sent(to_email, message_id, subject_text, template)
    envelope = {"sender": parseaddr(sender)[1], "recipients": [to_email], "message_id": message_id}
    if len(message) <= INLINE_MESSAGE_MAX:
        enqueue("core.deliver_mail", message=message, **envelope)
    else:
        stored = storage().save(io.BytesIO(message.encode("ascii")), prefix=STORED_MAIL_PREFIX)
        discard_unless_committed(stored.key)
        enqueue("core.deliver_mail", message_key=stored.key, **envelope)
    return message_id


@task("core.deliver_mail", max_attempts=8)
def deliver_mail(
    sender: str,
    recipients: list[str],
    message_id: str,
    message: str | None = None,
    message_key: str | None = None,
) -> None:
    """Hand a composed message to the mail server, or to instance/mail by default, unchanged.

    The envelope comes from the job, never from the message's headers. A large message comes from
    the storage (``message_key``) and leaves it once it is delivered; until then a retry finds it.
    The mail's record, if it has one, is marked delivered in the job's transaction.
    """
    if message_key is not None:
        with storage().open(message_key) as stream:
            data = stream.read()
        delete_after_commit(message_key)
    else:
        data = (message or "").encode("ascii")
    url = current_app.config["PORTAL_MAIL_URL"]
    if not url:
        with counting_mail("folder"):
            path = _write_to_folder(data, message_id)
        log.info("mail %s to %s saved as %s", message_id, ", ".join(recipients), path)
    else:
        with counting_mail("smtp"):
            _send_over_smtp(url, sender, recipients, data)
        log.info("mail %s sent to %s", message_id, ", ".join(recipients))
    mark_delivered(message_id)


def _send_over_smtp(url: str, sender: str, recipients: list[str], data: bytes) -> None:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, context=ssl.create_default_context(), timeout=30
        )
    elif parts.scheme == "smtp":
        client = smtplib.SMTP(host, parts.port or 25, timeout=30)
    else:
        raise ValueError(f"PORTAL_MAIL_URL must start with smtp:// or smtps://, not {parts.scheme}://")
    with client:
        if parts.scheme == "smtp" and options.get("starttls", ["0"])[0] in ("1", "true"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.sendmail(sender, recipients, data)


def mail_folder() -> Path:
    return Path(current_app.instance_path) / "mail"


def mail_file_name(message_id: str) -> str:
    """The file a message is saved as: the same for every attempt, so a retry replaces, never adds."""
    return re.sub(r"[^A-Za-z0-9.-]", "", message_id.split("@", 1)[0]).replace(".", "-") + ".eml"


def _write_to_folder(data: bytes, message_id: str) -> Path:
    folder = mail_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / mail_file_name(message_id)
    write_atomically(path, data)
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a full disk leaves no half file for a reader to find.

    The data goes to a hidden temporary file in the same folder, is flushed to the disk, and then
    takes the final name in one rename.
    """
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)
