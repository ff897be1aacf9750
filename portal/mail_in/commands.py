"""``portal mail-in`` (the SMTP receiver) and ``portal mail-poll`` (one poll of the IMAP mailbox)."""

from __future__ import annotations

import imaplib
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.config import ConfigError
from portal.mail_in.imap import poll_mailbox
from portal.mail_in.receiver import mail_receiver
from portal.mail_in.routing import MailStoreUnavailableError
from portal.plugin_manager import PluginError


@click.command("mail-in")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(1, 65535), help="The port.")
@with_appcontext
def mail_in(host: str, port: int) -> None:
    """Receive mail for the support address over SMTP until stopped (Ctrl-C or SIGTERM).

    Run it under systemd behind the organisation's mail server; docs/mail-in.md shows how.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    receiver = mail_receiver(app, host, port)
    receiver.start()
    click.echo(f"Receiving mail on {host}:{port}; stop with Ctrl-C.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Stopping.")
    finally:
        receiver.stop()


@click.command("mail-poll")
@with_appcontext
def mail_poll() -> None:
    """Take the unseen messages of the IMAP mailbox (PORTAL_MAIL_IMAP_URL) through the pipeline once."""
    if not current_app.config["PORTAL_MAIL_IMAP_URL"]:
        raise click.ClickException(
            "PORTAL_MAIL_IMAP_URL is not set: set it to imaps://user:password@imap.example.com:993/INBOX."
        )
    try:
        report = poll_mailbox()
    except (ConfigError, MailStoreUnavailableError, PluginError, OSError, imaplib.IMAP4.error) as error:
        raise click.ClickException(
            f"The poll stopped: {error}. Unread messages wait for the next poll."
        ) from error
    click.echo(f"Took {report.taken} messages.")
    if report.left_for_next_poll:
        click.echo(f"{report.left_for_next_poll} more wait for the next poll.")


MAIL_IN_COMMANDS = (mail_in, mail_poll)
