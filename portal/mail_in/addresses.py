"""Signed reply addresses: ``support+tickets-12-9f3a…@example.com`` for one person on one thread.

The signature is an HMAC over the handler, the thread and the recipient's address, keyed by a key
derived from SECRET_KEY: nobody can make an address for a thread they were not sent, and a reply to
someone else's address from another sender is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app

HANDLER_PATTERN = re.compile(r"[a-z0-9_]+")
THREAD_PATTERN = re.compile(r"[a-z0-9]+")
SIGNATURE_HEX = 20
LOCAL_PART_MAX = 64
KEY_PURPOSE = b"portal.mail_in.reply_address"


class ReplyAddressError(ValueError):
    """A reply address cannot be made from these parts; the message says which part and why."""


@dataclass(frozen=True)
class ReplyTarget:
    """What the local part of a reply address names: a handler, a thread and the signature."""

    handler: str
    thread: str
    signature: str


def mail_in_address() -> tuple[str, str]:
    """The (local part, domain) of the support address: PORTAL_MAIL_IN_ADDRESS, else PORTAL_MAIL_FROM's."""
    configured = current_app.config.get("PORTAL_MAIL_IN_ADDRESS") or current_app.config["PORTAL_MAIL_FROM"]
    address = parseaddr(configured)[1]
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ReplyAddressError(
            f"PORTAL_MAIL_IN_ADDRESS (or PORTAL_MAIL_FROM) must hold one address such as "
            f"support@example.com, not {configured!r}."
        )
    return local, domain.lower()


def _signature(handler: str, thread: str, recipient_email: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(secret, KEY_PURPOSE, hashlib.sha256).digest()
    message = "\0".join((handler, thread, recipient_email.strip().lower())).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:SIGNATURE_HEX]


def reply_address(handler: str, thread: str, recipient_email: str) -> str:
    """The address ``recipient_email`` replies to about ``thread`` of ``handler`` (a plugin's handler name).

    Put it in ``Reply-To`` (``send_mail(..., reply_to=…)``); the core verifies the signature against
    the sender of the reply and calls that handler's ``on_reply(mail, thread)``.
    """
    if not HANDLER_PATTERN.fullmatch(handler):
        raise ReplyAddressError(f"A handler name is lowercase letters, digits and '_', not {handler!r}.")
    if not THREAD_PATTERN.fullmatch(thread):
        raise ReplyAddressError(f"A thread is lowercase letters and digits, not {thread!r}.")
    if "@" not in recipient_email:
        raise ReplyAddressError(f"{recipient_email!r} is not an email address.")
    local, domain = mail_in_address()
    signed = f"{local}+{handler}-{thread}-{_signature(handler, thread, recipient_email)}"
    if len(signed) > LOCAL_PART_MAX:
        raise ReplyAddressError(
            f"The reply address {signed!r} is longer than the {LOCAL_PART_MAX} characters mail allows "
            "before '@': use a shorter handler name or thread."
        )
    return f"{signed}@{domain}"


def read_target(recipient: str) -> ReplyTarget | None:
    """The handler, thread and signature a recipient address names; ``None`` for the plain address.

    Raises ``ReplyAddressError`` for an address of our domain whose tag is not a reply address.
    """
    local, _, _domain = recipient.strip().lower().rpartition("@")
    _base, plus, tag = local.partition("+")
    if not plus:
        return None
    parts = tag.split("-")
    if (
        len(parts) != 3
        or not HANDLER_PATTERN.fullmatch(parts[0])
        or not THREAD_PATTERN.fullmatch(parts[1])
        or not re.fullmatch(r"[0-9a-f]+", parts[2])
    ):
        raise ReplyAddressError(f"{recipient!r} is not a reply address.")
    return ReplyTarget(parts[0], parts[1], parts[2])


def is_our_address(recipient: str) -> bool:
    """Whether mail to ``recipient`` is ours to take: the support address or one of its reply addresses."""
    base_local, domain = mail_in_address()
    local, _, recipient_domain = recipient.strip().lower().rpartition("@")
    return recipient_domain == domain and local.partition("+")[0] == base_local.lower()


def signature_matches(target: ReplyTarget, sender: str) -> bool:
    """Whether the address was made for ``sender`` on this thread (compared in constant time)."""
    expected = _signature(target.handler, target.thread, sender)
    return hmac.compare_digest(expected, target.signature)
