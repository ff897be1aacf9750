"""Sending templated email: written to instance/mail by default, over SMTP when PORTAL_MAIL_URL is set."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import time
import uuid
from email import message_from_string
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale

from portal.jobs import enqueue, task

log = logging.getLogger(__name__)

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
# Bodies go out as quoted-printable or base64, never raw 8-bit: smtplib does not declare
# BODY=8BITMIME, so 8-bit text (Persian) must not travel as such (RFC 6152).
MAIL_POLICY = default_policy.clone(cte_type="7bit")


def safe_display_name(name: str) -> str:
    """A name a person typed, fit for a header: control characters (CR, LF…) become spaces.

    "=?" is split too: Python's header parser decodes an RFC 2047 encoded word even inside quotes,
    so "=?utf-8?q?Eve=0D=0ABcc:…?=" would otherwise put a raw CR LF (a new header) on the wire.
    """
    return CONTROL_CHARACTERS.sub(" ", name).replace("=?", "= ?").strip()


def send_mail(
    to_email: str,
    to_name: str,
    template: str,
    subject: Any,
    locale: str | None = None,
    **context: Any,
) -> EmailMessage:
    """Render ``templates/mail/<template>.txt`` and ``.html`` in the recipient's language and send them.

    The message is composed now (links and language resolved while the request is at hand) and
    delivered by the ``core.deliver_mail`` job, queued in the caller's transaction: the mail leaves
    only if that transaction commits, a failing mail server is retried, and with Redis configured
    no web request waits on SMTP. ``subject`` should be a lazy translation.
    """
    locale = locale or current_app.config["PORTAL_DEFAULT_LANGUAGE"]
    with force_locale(locale):
        context.setdefault("recipient_name", to_name)
        subject_text = safe_display_name(str(subject))
        text_body = render_template(f"mail/{template}.txt", **context)
        html_body = render_template(f"mail/{template}.html", subject=subject_text, **context)
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = subject_text
    message["From"] = current_app.config["PORTAL_MAIL_FROM"]
    message["To"] = Address(display_name=safe_display_name(to_name), addr_spec=to_email)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="portal.local")
    message.set_content(text_body)
    message.add_alternative(html_body, subtype="html")
    message["Content-Language"] = locale  # after set_content, which drops every Content-* header
    enqueue("core.deliver_mail", message=message.as_string())
    return message


@task("core.deliver_mail", max_attempts=8)
def deliver_mail(message: str) -> None:
    """Hand a composed message to the mail server, or to instance/mail by default."""
    _deliver(message_from_string(message, _class=EmailMessage, policy=MAIL_POLICY))


def _deliver(message: EmailMessage) -> None:
    url = current_app.config["PORTAL_MAIL_URL"]
    if not url:
        _write_to_folder(message)
        return
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
        client.send_message(message)
    log.info("mail sent to %s: %s", message["To"], message["Subject"])


def mail_folder() -> Path:
    return Path(current_app.instance_path) / "mail"


def _write_to_folder(message: EmailMessage) -> None:
    folder = mail_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    log.info("mail to %s: %s (saved as %s)", message["To"], message["Subject"], path)
