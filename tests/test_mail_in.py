"""Inbound mail through the real pipeline: a real aiosmtpd receiver on a free port, smtplib as the
sender's server, a real IMAP mailbox (Dovecot) for the poller, the real database, and a tiny plugin
(tests/mail_in_plugin.py) that takes the mail.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any
from urllib.parse import quote

import mail_in_plugin
import pytest
from flask import Flask
from portal_example_plugin.models import Note
from sqlalchemy import select

from portal import plugin_manager
from portal.audit import AuditEvent
from portal.database import db, utcnow
from portal.mail import send_mail
from portal.mail_in import checks
from portal.mail_in.addresses import reply_address
from portal.mail_in.models import InboundMailRecord
from portal.mail_in.parsing import html_to_text, new_text
from portal.plugin_manager import ENTRY_POINT_GROUP, PluginError
from portal.storage import storage
from portal.testing import read_outbox
from portal.testing.fixtures import free_port, service_unavailable
from portal.testing.scheduled import run_scheduled_task

SUPPORT = "support@example.com"
CUSTOMER = "maryam@customer.example"
MAX_BYTES = 60_000

pytestmark = pytest.mark.plugins("mailtest")


def install_stand_in(monkeypatch: pytest.MonkeyPatch, name: str, module: str) -> None:
    """Make ``module`` (a real module in tests/) look installed as the plugin ``name``."""
    installed = plugin_manager.entry_points
    stand_in = EntryPoint(name=name, value=module, group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(
        plugin_manager, "entry_points", lambda **selection: [*installed(**selection), stand_in]
    )


@pytest.fixture(autouse=True)
def mailtest_plugin(monkeypatch: pytest.MonkeyPatch, app_config: dict[str, object]) -> Iterator[None]:
    """Install tests/mail_in_plugin.py as the plugin ``mailtest`` and set the support address."""
    install_stand_in(monkeypatch, "mailtest", "mail_in_plugin")
    app_config.update(PORTAL_MAIL_IN_ADDRESS=SUPPORT, PORTAL_MAIL_IN_MAX_BYTES=MAX_BYTES)
    mail_in_plugin.RECEIVED.clear()
    yield
    mail_in_plugin.RECEIVED.clear()


def signed(app: Flask, thread: str = "12", recipient: str = CUSTOMER, handler: str = "mailtest") -> str:
    with app.test_request_context():
        return reply_address(handler, thread, recipient)


def mail(sender: str = CUSTOMER, to: str = SUPPORT, text: str = "Hello", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Maryam <{sender}>"
    message["To"] = to
    message["Subject"] = "About my order"
    message["Message-ID"] = f"<{utcnow().timestamp()}.{id(message)}@customer.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def deliver(port: int, message: EmailMessage | bytes, to: str | None = None, sender: str = CUSTOMER) -> None:
    data = message if isinstance(message, bytes) else message.as_bytes()
    recipient = to or (message["To"] if isinstance(message, EmailMessage) else SUPPORT)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(sender, [recipient], data)


def records(app: Flask) -> list[InboundMailRecord]:
    with app.app_context():
        found = list(db.session.scalars(select(InboundMailRecord).order_by(InboundMailRecord.id)))
        db.session.expunge_all()
        return found


def only_record(app: Flask) -> InboundMailRecord:
    [record] = records(app)
    return record


# --- a reply reaches its handler ----------------------------------------------------------------


def test_portal_mail_handlers_signed_reply_reaches_the_handler_with_new_text_and_file(app, mail_in_port):
    address = signed(app, "12")
    message = mail(
        to=address,
        text=(
            "Yes, the parcel arrived broken.\n\n-- \nMaryam\n\n"
            "On Tue, 5 Dec 2026, Support <s@example.com> wrote:\n> How is it?\n"
        ),
    )
    message.add_attachment(
        b"%PDF-1.4 photo", maintype="application", subtype="pdf", filename="../../receipt.pdf"
    )
    deliver(mail_in_port, message)

    [(thread, received)] = mail_in_plugin.RECEIVED
    assert thread == "12"
    assert received.sender == CUSTOMER and received.sender_name == "Maryam"
    assert received.text == "Yes, the parcel arrived broken."
    assert received.subject == "About my order"
    [attachment] = received.attachments
    assert attachment.data == b"%PDF-1.4 photo" and attachment.content_type == "application/pdf"
    assert "/" not in attachment.filename and attachment.filename.endswith("receipt.pdf")
    record = only_record(app)
    assert (record.status, record.handler, record.thread, record.reason) == (
        "accepted",
        "mailtest",
        "12",
        None,
    )
    assert record.recipient == address and record.storage_key is None


def test_portal_mail_handlers_plain_address_goes_to_the_new_mail_handler(app, mail_in_port):
    deliver(mail_in_port, mail(text="I would like to order a second lamp."))
    [(thread, received)] = mail_in_plugin.RECEIVED
    assert thread == "new" and received.text == "I would like to order a second lamp."
    assert only_record(app).status == "accepted"


def test_reply_address_is_signed_for_one_person_and_thread(app):
    address = signed(app, "12")
    local, _, domain = address.partition("@")
    assert domain == "example.com" and local.startswith("support+mailtest-12-") and len(local) <= 64
    assert signed(app, "12", CUSTOMER.upper()) == address
    assert signed(app, "13") != address and signed(app, "12", "other@customer.example") != address


# --- refused mail, each with its reason ---------------------------------------------------------


def forged_thread(app: Flask) -> str:
    return signed(app, "12").replace("-12-", "-13-")


def forged_signature(app: Flask) -> str:
    address = signed(app, "12")
    local, _, domain = address.partition("@")
    return local[:-4] + "0000" + "@" + domain


@pytest.mark.parametrize("forge", [forged_thread, forged_signature])
def test_a_forged_reply_address_is_refused_and_recorded(app, mail_in_port, forge):
    deliver(mail_in_port, mail(to=forge(app), text="let me in"))
    assert mail_in_plugin.RECEIVED == []
    record = only_record(app)
    assert record.status == "refused" and record.reason == str(checks.FORGED._args[0])
    assert record.storage_key is not None


def test_a_signed_address_used_by_another_sender_is_refused(app, mail_in_port):
    address = signed(app, "12")
    deliver(mail_in_port, mail(sender="eve@elsewhere.example", to=address), sender="eve@elsewhere.example")
    assert mail_in_plugin.RECEIVED == []
    assert only_record(app).reason == "The reply address does not belong to this sender."


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X_Autoreply": "yes"},
        {"List_Id": "<news.example.com>"},
    ],
)
def test_automatic_replies_and_bulk_mail_are_refused(app, mail_in_port, headers):
    deliver(mail_in_port, mail(text="I am out of the office.", **headers))
    assert mail_in_plugin.RECEIVED == []
    assert only_record(app).reason == checks.AUTOMATIC._args[0]


def test_a_bounce_with_an_empty_return_path_is_refused(app, mail_in_port):
    deliver(mail_in_port, mail(text="Delivery failed"), sender="")
    assert only_record(app).reason == checks.AUTOMATIC._args[0]


def test_our_own_mail_coming_back_is_a_loop(app, mail_in_port):
    with app.test_request_context():
        send_mail(
            CUSTOMER, "Maryam", "notification", "Hello", title="Hi", body="", link="", preferences_link=""
        )
        db.session.commit()
    [sent] = read_outbox(app)
    assert sent["Auto-Submitted"] == "auto-generated"
    deliver(mail_in_port, mail(sender=SUPPORT, text="a mail of ours"), sender=SUPPORT)
    assert only_record(app).reason == checks.OWN_ADDRESS._args[0]


def test_too_many_mails_from_one_sender_are_refused_as_a_loop(app, mail_in_port):
    app.config["PORTAL_MAIL_IN_SENDER_LIMIT"] = 2
    for number in range(3):
        deliver(mail_in_port, mail(text=f"mail {number}"))
    assert [text for _thread, text in ((t, m.text) for t, m in mail_in_plugin.RECEIVED)] == [
        "mail 0",
        "mail 1",
    ]
    assert [record.reason for record in records(app)] == [None, None, checks.TOO_MANY._args[0]]


def test_the_same_message_twice_is_taken_once(app, mail_in_port):
    message = mail(text="only once")
    deliver(mail_in_port, message)
    deliver(mail_in_port, message)
    assert len(mail_in_plugin.RECEIVED) == 1
    assert [record.status for record in records(app)] == ["accepted", "refused"]


def test_an_oversize_mail_is_refused_at_smtp_and_the_next_goes_through(app, mail_in_port):
    with pytest.raises(smtplib.SMTPException) as refused:
        deliver(mail_in_port, mail(text="x" * (MAX_BYTES + 1000)))
    assert "552" in str(refused.value)
    deliver(mail_in_port, mail(text="A short one."))
    assert [m.text for _t, m in mail_in_plugin.RECEIVED] == ["A short one."]


def test_a_malformed_mail_is_recorded_and_the_next_goes_through(app, mail_in_port):
    deliver(mail_in_port, b"Subject: no sender at all\r\n\r\nwho am I\r\n")
    deliver(mail_in_port, mail(text="A proper one."))
    first, second = records(app)
    assert first.status == "refused" and first.reason == checks.MALFORMED._args[0]
    assert first.subject == "no sender at all"
    assert second.status == "accepted"


def test_relaying_to_another_domain_is_refused(app, mail_in_port):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(mail_in_port, mail(to="someone@elsewhere.example"))
    assert refused.value.recipients["someone@elsewhere.example"][0] == 550
    assert records(app) == []


def test_a_handler_refusal_rolls_its_work_back_and_is_recorded(app, mail_in_port):
    deliver(mail_in_port, mail(to=signed(app, "12"), text="refuse this one"))
    record = only_record(app)
    assert record.status == "refused" and record.reason == "This thread is closed to mail."
    with app.app_context():
        assert (
            db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "mailtest.received")).all() == []
        )


def test_a_handler_crash_is_recorded_and_the_next_mail_goes_through(app, mail_in_port, caplog):
    deliver(mail_in_port, mail(text="crash please"))
    deliver(mail_in_port, mail(text="Still here?"))
    first, second = records(app)
    assert first.status == "refused" and first.reason == checks.HANDLER_FAILED._args[0]
    assert second.status == "accepted"
    assert "the handler broke" in caplog.text
    with app.app_context():
        assert (
            len(db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "mailtest.received")).all())
            == 1
        )


def test_mail_for_a_handler_whose_plugin_is_off_is_refused(app, mail_in_port):
    deliver(mail_in_port, mail(to=signed(app, "4", handler="nobody")))
    assert only_record(app).reason == checks.UNKNOWN_HANDLER._args[0]


def test_two_handlers_taking_new_mail_stop_the_mail_for_a_retry(app, mail_in_port, monkeypatch):
    def twice() -> list[Any]:
        handler = mail_in_plugin.portal_mail_handlers()[0]
        return [handler, type(handler)("other", handler.on_reply, handler.on_new)]

    from portal.mail_in import routing

    with app.app_context():
        monkeypatch.setattr(routing, "plugin_host", lambda: _Host(twice()))
        with pytest.raises(PluginError):
            routing.mail_handlers()


class _Host:
    """Stands in for the plugin host's answer only, to declare a clash no real plugin would ship."""

    def __init__(self, handlers: list[Any]) -> None:
        self.handlers = handlers

    def call_each(self, hook: str) -> list[tuple[str, list[Any]]]:
        return [("mailtest", self.handlers)]


# --- the staff page --------------------------------------------------------------------------------


def test_staff_see_inbound_mail_with_reasons_and_can_download_refused_mail(
    app, mail_in_port, client, login_as
):
    deliver(mail_in_port, mail(text="Thanks!"))
    deliver(mail_in_port, mail(to=forged_thread(app), text="<script>alert(1)</script>"))
    login_as("agent")
    page = client.get("/staff/mail/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "The reply address does not belong to this sender." in html and "Accepted" in html
    refused = client.get("/staff/mail/?status=refused").get_data(as_text=True)
    assert "Thanks!" not in refused and refused.count('id="mail-') == 1
    record = records(app)[1]
    download = client.get(f"/staff/mail/{record.id}/message.eml")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/plain")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert b"<script>alert(1)</script>" in download.data
    assert client.get(f"/staff/mail/{records(app)[0].id}/message.eml").status_code == 404
    assert client.get("/staff/mail/?status=nonsense").status_code == 400


def test_customers_cannot_open_the_inbound_mail_page(app, client, login_as):
    login_as("customer")
    assert client.get("/staff/mail/").status_code in (403, 404)
    assert client.get("/staff/mail/1/message.eml").status_code in (403, 404)


def test_refused_mail_older_than_30_days_is_swept_with_its_file(app, mail_in_port):
    deliver(mail_in_port, mail(to=forged_thread(app)))
    deliver(mail_in_port, mail(text="kept"))
    refused = records(app)[0]
    with app.app_context():
        db.session.execute(
            InboundMailRecord.__table__.update().values(received_at=utcnow() - timedelta(days=31))
        )
        db.session.commit()
    run_scheduled_task(app, "core.mail_in_sweep")
    assert [record.status for record in records(app)] == ["accepted"]
    with app.app_context():
        assert not storage().exists(refused.storage_key)


# --- reading what people write --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, that works.\n\nOn Mon, 4 Dec 2026 at 09:00, Support <s@example.com>\nwrote:\n> Try again",
        "Thanks, that works.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nTry again",
        "Thanks, that works.\n______________________\nFrom: Support <s@example.com>\nSent: Monday\nTry",
        "Thanks, that works.\n\nدر تاریخ دوشنبه ۱۳ آذر، پشتیبانی <s@example.com> نوشت:\n> دوباره امتحان کنید",
        "Thanks, that works.\n-- \nMaryam Rezaei\nCEO",
    ],
)
def test_quoted_history_and_signature_are_taken_off(text):
    assert new_text(text) == "Thanks, that works."


def test_a_mail_that_is_only_quotes_keeps_all_its_text():
    assert new_text("> everything quoted\n> still quoted") == "> everything quoted\n> still quoted"


def test_an_html_mail_becomes_plain_text_without_scripts():
    text = html_to_text("<p>Hello &amp; welcome</p><script>alert(1)</script><div>Second line</div>")
    assert text.split() == ["Hello", "&", "welcome", "Second", "line"]


# --- the IMAP poller -------------------------------------------------------------------------------


IMAP_PASSWORD = "secret"
DOVECOT_CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
ssl = no
disable_plaintext_auth = no
mail_location = maildir:{folder}/mail/%n
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={folder}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class ImapMailbox:
    """A support mailbox on a real IMAP server, as a hosted mail service keeps one."""

    port: int
    user: str = SUPPORT

    @property
    def url(self) -> str:
        return f"imap://{quote(self.user)}:{IMAP_PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.user, IMAP_PASSWORD)
        client.select("INBOX")
        return client

    def put(self, *messages: bytes) -> None:
        """Deliver ``messages`` into the mailbox, unread."""
        client = self.client()
        for message in messages:
            client.append("INBOX", None, None, message)
        client.logout()

    def unseen(self) -> int:
        client = self.client()
        _status, found = client.uid("SEARCH", None, "UNSEEN")
        client.logout()
        return len((found[0] or b"").split())


@pytest.fixture
def imap_mailbox() -> Iterator[ImapMailbox]:
    """Dovecot in the foreground with a configuration of its own, on a free port, keeping mail in a
    fresh folder (short, so its sockets' paths fit); stopped and removed after the test."""
    dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not os.access(dovecot, os.X_OK) or os.getuid() != 0:
        service_unavailable("Dovecot (Debian's dovecot-imapd, run as root) is needed for the IMAP mailbox")
    folder = Path(tempfile.mkdtemp(prefix="imap-"))
    folder.chmod(0o755)
    (folder / "mail").mkdir()
    shutil.chown(folder / "mail", "nobody", "nogroup")
    port = free_port()
    config = folder / "dovecot.conf"
    config.write_text(DOVECOT_CONFIG.format(folder=folder, port=port, password=IMAP_PASSWORD))
    server = subprocess.Popen([dovecot, "-F", "-c", str(config)], stderr=subprocess.PIPE)
    try:
        _wait_for_port(port, server)
        yield ImapMailbox(port)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    for _attempt in range(100):
        if server.poll() is not None:
            error = server.stderr.read().decode() if server.stderr else ""
            service_unavailable(f"Dovecot stopped at start: {error}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    service_unavailable(f"Dovecot did not listen on port {port}")


def test_the_imap_poller_feeds_unseen_mail_to_the_pipeline_and_marks_it_seen(app, imap_mailbox):
    imap_mailbox.put(mail(text="From IMAP").as_bytes(), b"not a mail at all")
    app.config["PORTAL_MAIL_IMAP_URL"] = imap_mailbox.url
    first = app.test_cli_runner().invoke(args=["mail-poll"])
    assert first.exit_code == 0 and "Took 2 messages." in first.output
    assert [m.text for _t, m in mail_in_plugin.RECEIVED] == ["From IMAP"]
    assert [record.status for record in records(app)] == ["accepted", "refused"]
    assert imap_mailbox.unseen() == 0, "what was taken is marked seen, so the next poll skips it"
    again = app.test_cli_runner().invoke(args=["mail-poll"])
    assert "Took 0 messages." in again.output and len(records(app)) == 2


def test_a_poll_with_the_wrong_password_says_so_and_takes_nothing(app, imap_mailbox):
    imap_mailbox.put(mail(text="Waiting").as_bytes())
    app.config["PORTAL_MAIL_IMAP_URL"] = imap_mailbox.url.replace(IMAP_PASSWORD, "wrong")
    result = app.test_cli_runner().invoke(args=["mail-poll"])
    assert result.exit_code == 1 and "The poll stopped" in result.output
    assert imap_mailbox.unseen() == 1 and records(app) == []


# --- the example plugin's handler and the commands ---------------------------------------------------


@pytest.mark.plugins("example")
def test_portal_mail_handlers_example_plugin_turns_a_reply_into_a_note(app, mail_in_port, make_user):
    owner = make_user(email="noter@customer.example")
    address = signed(app, str(owner.id), owner.email, handler="example_notes")
    deliver(mail_in_port, mail(sender=owner.email, to=address, text="Buy milk"), sender=owner.email)
    deliver(mail_in_port, mail(to=signed(app, str(owner.id), CUSTOMER, handler="example_notes")))
    with app.app_context():
        assert list(db.session.scalars(select(Note.body).where(Note.user_id == owner.id))) == ["Buy milk"]
    assert [record.reason for record in records(app)] == [None, "No account of this sender keeps notes here."]


def test_mail_poll_without_a_mailbox_says_what_to_set(app):
    result = app.test_cli_runner().invoke(args=["mail-poll"])
    assert result.exit_code == 1 and "PORTAL_MAIL_IMAP_URL is not set" in result.output
