"""Turning the bytes of a received mail into an ``InboundMail``: sender, subject, new text, files.

Read with the standard library's ``email`` package (``policy.default``). The text a handler gets is
what the person wrote this time: the quoted history their mail program added below it, and their
signature, are taken off. When that would leave nothing, the whole text is kept: a mail's words are
never thrown away.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses

import nh3

from portal.clean_input import INVISIBLE_CONTROLS
from portal.mail_in.inbound import InboundAttachment, InboundMail
from portal.storage import clean_download_name

ADDRESS_MAX = 254
SENDER_NAME_MAX = 200
ATTACHMENT_NAME_MAX = 100
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")
ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[^@\s<>]+@localhost")
# Header fields and display names hold one line; a CR, LF or other control character goes.
LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")

# Where quoted history starts: the line and everything below it go.
QUOTE_STARTS = (
    re.compile(r"^\s*>"),
    re.compile(r"^\s*On\b.*\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^.*\s(نوشت|نوشته است)\s*:\s*$"),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Forwarded message|پیام اصلی|پیام بازارسال شده)\s*-{2,}\s*$", re.I
    ),
)
ATTRIBUTION_OPENING = re.compile(r"^\s*(On\b|در\s)", re.IGNORECASE)
ATTRIBUTION_CLOSING = re.compile(r"(\bwrote|نوشت)\s*:\s*$", re.IGNORECASE)
HEADER_BLOCK_FROM = re.compile(r"^\s*\*?(From|از)\s*:\*?\s", re.IGNORECASE)
HEADER_BLOCK_NEXT = re.compile(r"^\s*\*?(Sent|Date|To|Subject|ارسال شده|تاریخ|به|موضوع)\s*:", re.IGNORECASE)
SIGNATURE_SEPARATOR = re.compile(r"^--\s?$")
# What is left above a cut line that only separated the history (Outlook's underscores).
SEPARATOR_LINE = re.compile(r"^[\s_\-=*]*$")
BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\b[^>]*>", re.IGNORECASE)


class MalformedMailError(ValueError):
    """The bytes are not a message the portal can read: no sender address, or not a message at all."""


def parse_message(raw: bytes) -> EmailMessage:
    """The message object for ``raw``; raises ``MalformedMailError`` when it has no header block."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # the parser's errors are not part of its contract
        raise MalformedMailError(str(error)) from error
    if not isinstance(message, EmailMessage) or not message.keys():
        raise MalformedMailError("no header fields")
    return message


def header_text(message: Message, name: str) -> str:
    """A header's decoded value on one line, or "" when it is missing or cannot be decoded."""
    try:
        value = message.get(name)
    except Exception:  # a broken header reads as an absent one
        return ""
    return LINE_CONTROLS.sub(" ", str(value or "")).strip()


def sender_of(message: Message) -> tuple[str, str]:
    """The (lower-cased address, display name) of From; ``MalformedMailError`` unless exactly one."""
    try:
        values = message.get_all("From") or []
        pairs = getaddresses([str(value) for value in values])
    except Exception as error:
        raise MalformedMailError("unreadable From") from error
    if len(pairs) != 1:
        raise MalformedMailError("From must name exactly one address")
    name, address = pairs[0]
    address = address.strip().lower()
    if len(address) > ADDRESS_MAX or not ADDRESS.fullmatch(address):
        raise MalformedMailError("From has no valid address")
    return address, LINE_CONTROLS.sub(" ", name).strip()[:SENDER_NAME_MAX]


def addresses_in(message: Message, *names: str) -> list[str]:
    """The lower-cased addresses in the named headers (Delivered-To, To, Cc…), in that order."""
    found: list[str] = []
    for name in names:
        try:
            values = [str(value) for value in message.get_all(name) or []]
        except Exception:  # a header that cannot be decoded names no one
            values = []
        found += [address.strip().lower() for _name, address in getaddresses(values) if "@" in address]
    return found


def read_mail(message: EmailMessage, received_at: datetime) -> InboundMail:
    """The ``InboundMail`` a handler gets from a parsed message whose sender was already checked."""
    sender, sender_name = sender_of(message)
    body_part = _body_part(message)
    text = _plain_text(body_part) if body_part is not None else ""
    return InboundMail(
        sender=sender,
        sender_name=sender_name,
        subject=header_text(message, "Subject"),
        text=new_text(text),
        attachments=tuple(_attachments(message, body_part)),
        message_id=header_text(message, "Message-ID"),
        received_at=received_at,
    )


def _body_part(message: EmailMessage) -> EmailMessage | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))  # type: ignore[return-value]
    except Exception:
        return None


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except Exception:  # an unknown charset: read it as UTF-8, replacing what is not
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return str(content)


def _plain_text(part: EmailMessage) -> str:
    content = _decoded(part)
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return INVISIBLE_CONTROLS.sub("", content.replace("\r\n", "\n").replace("\r", "\n"))


def html_to_text(markup: str) -> str:
    """The words of an HTML mail: every tag removed (scripts and styles with their content), lines kept."""
    with_breaks = BLOCK_TAGS.sub("\n", markup)
    cleaned = nh3.clean(with_breaks, tags=set(), clean_content_tags={"script", "style", "head", "title"})
    return html.unescape(cleaned)


def new_text(text: str) -> str:
    """What the person wrote this time: quoted history and the signature taken off, unless nothing is left."""
    lines = text.strip("\n").split("\n")
    cut = _history_start(lines)
    kept = lines[:cut]
    for index, line in enumerate(kept):
        if SIGNATURE_SEPARATOR.match(line):
            kept = kept[:index]
            break
    while kept and SEPARATOR_LINE.fullmatch(kept[-1]):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()


def _history_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if any(pattern.match(line) for pattern in QUOTE_STARTS):
            return index
        following = lines[index + 1] if index + 1 < len(lines) else ""
        # "On Tue, 5 Dec 2026 at 10:00, Someone <a@b.example>" / "wrote:" folded onto two lines.
        if ATTRIBUTION_OPENING.match(line) and ATTRIBUTION_CLOSING.search(following) and len(line) < 200:
            return index
        if HEADER_BLOCK_FROM.match(line) and any(
            HEADER_BLOCK_NEXT.match(later) for later in lines[index + 1 : index + 5]
        ):
            return index
    return len(lines)


def _attachments(message: EmailMessage, body_part: EmailMessage | None) -> list[InboundAttachment]:
    found = []
    for part in message.walk():
        if part.is_multipart() or part is body_part:
            continue
        filename = part.get_filename()
        if not filename and not part.is_attachment():
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        content_type = part.get_content_type()
        found.append(
            InboundAttachment(
                filename=_safe_filename(filename or "attachment"),
                content_type=content_type
                if CONTENT_TYPE.fullmatch(content_type)
                else "application/octet-stream",
                data=data if isinstance(data, bytes) else b"",
            )
        )
    return found


def _safe_filename(name: str) -> str:
    """A file name fit to store and show: no folders, controls or bidi overrides, at most 100 characters."""
    cleaned = clean_download_name(LINE_CONTROLS.sub(" ", name))
    if len(cleaned) > ATTACHMENT_NAME_MAX:
        stem, dot, extension = cleaned.rpartition(".")
        extension = extension[:10] if dot and len(extension) <= 10 else ""
        cleaned = (
            stem[: ATTACHMENT_NAME_MAX - len(extension) - 1] + "." + extension
            if extension
            else cleaned[:ATTACHMENT_NAME_MAX]
        )
    return cleaned
