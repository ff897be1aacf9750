"""The SMTP receiver (``portal mail-in``): mail for the support address, taken in by aiosmtpd.

Put it behind the organisation's mail server (or point an MX at it). It takes mail for our own
addresses only (550 for any other: it relays nothing), refuses a mail larger than the limit at DATA
(552), and otherwise hands each message to ``routing.receive`` in a worker thread with its own app
context. It answers 250 even when a check refused the mail: a refusal at SMTP makes the sender's
server bounce to the From address, which may be forged. Only a database that cannot be reached gets
451, so the sender's server tries again later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask

from portal.database import db
from portal.mail_in.addresses import is_our_address
from portal.mail_in.routing import MailStoreUnavailableError, receive
from portal.plugin_manager import PluginError

log = logging.getLogger(__name__)

ACCEPTED = "250 2.0.0 Message accepted"
RECIPIENT_OK = "250 2.1.5 Recipient ok"
NOT_OURS = "550 5.7.1 Relaying denied: this server takes mail for its own addresses only"
TRY_LATER = "451 4.3.0 The portal cannot store mail right now; please try again later"


class PortalMailHandler:
    """aiosmtpd's handler: refuse other recipients at RCPT, pass each message to the pipeline."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        """Accept only our own addresses, so the receiver never relays."""
        with self.app.app_context():
            ours = is_our_address(address)
        if not ours:
            return NOT_OURS
        envelope.rcpt_tos.append(address)
        return RECIPIENT_OK

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Run the pipeline in a worker thread; 250 whatever the checks said, 451 if nothing was stored."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, self.process, raw, list(envelope.rcpt_tos), envelope.mail_from
        )

    def process(self, raw: bytes, recipients: list[str], envelope_sender: str | None) -> str:
        """Take one message in its own app context and transaction; the SMTP answer for it."""
        with self.app.app_context():
            try:
                receive(raw, recipients, envelope_sender)
            except (MailStoreUnavailableError, PluginError, OSError):
                log.exception("An inbound mail could not be stored; the sender was asked to try again")
                return TRY_LATER
            finally:
                db.session.remove()
        return ACCEPTED


def mail_receiver(app: Flask, host: str, port: int) -> Controller:
    """The aiosmtpd controller for ``app`` on ``host``:``port``; ``start()`` it, ``stop()`` it when done."""
    return Controller(
        PortalMailHandler(app),
        hostname=host,
        port=port,
        data_size_limit=int(app.config["PORTAL_MAIL_IN_MAX_BYTES"]),
        server_hostname=host,
        ident="portal mail-in",
    )
