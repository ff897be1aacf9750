"""The IMAP poller (``portal mail-poll``, and each ``portal tick`` when PORTAL_MAIL_IMAP_URL is set).

For a support address whose mail lands in a hosted mailbox: each poll fetches the unseen messages,
feeds each to the same pipeline as the SMTP receiver, and marks it seen once it is recorded. A
message that could not be stored (database unreachable) stays unseen, and the next poll takes it.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app

from portal.config import ConfigError
from portal.mail_in.routing import receive

log = logging.getLogger(__name__)

POLL_BATCH = 200
IMAP_TIMEOUT = 60


@dataclass(frozen=True)
class MailboxLocation:
    """Where to poll, read from ``imaps://user:password@host:993/INBOX`` (``imap://`` on a trusted LAN)."""

    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str


@dataclass
class PollReport:
    """What one poll did, for the command's output."""

    taken: int = 0
    left_for_next_poll: int = 0


def read_imap_url(url: str) -> MailboxLocation:
    """The mailbox the URL names; ``ConfigError`` with an example when it is not an imap(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ConfigError(
            "PORTAL_MAIL_IMAP_URL must look like imaps://user:password@imap.example.com:993/INBOX."
        )
    secure = parts.scheme == "imaps"
    return MailboxLocation(
        secure=secure,
        host=parts.hostname,
        port=parts.port or (993 if secure else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def connect(location: MailboxLocation) -> Any:
    """A signed-in IMAP client on the mailbox's folder."""
    client: imaplib.IMAP4
    if location.secure:
        client = imaplib.IMAP4_SSL(
            location.host, location.port, ssl_context=ssl.create_default_context(), timeout=IMAP_TIMEOUT
        )
    else:
        client = imaplib.IMAP4(location.host, location.port, timeout=IMAP_TIMEOUT)
    client.login(location.user, location.password)
    client.select(_quoted(location.folder))
    return client


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_mailbox() -> PollReport:
    """Take every unseen message of the configured mailbox through the pipeline (up to POLL_BATCH), so
    a business whose support address is a hosted mailbox needs no mail server of its own."""
    location = read_imap_url(current_app.config["PORTAL_MAIL_IMAP_URL"])
    report = PollReport()
    client = connect(location)
    try:
        _status, found = client.uid("SEARCH", None, "UNSEEN")
        unseen = (found[0] or b"").split()
        report.left_for_next_poll = max(0, len(unseen) - POLL_BATCH)
        for uid in unseen[:POLL_BATCH]:
            raw = _fetch(client, uid)
            if raw is None:
                continue
            receive(raw)  # raises when nothing could be stored: this and the rest wait for the next poll
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            report.taken += 1
    finally:
        client.logout()
    return report


def _fetch(client: Any, uid: bytes) -> bytes | None:
    """The whole message, fetched without marking it seen (BODY.PEEK), so a failure leaves it unseen."""
    status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        log.warning("IMAP could not fetch message %s: %s", uid, parts)
        return None
    for part in parts:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None
