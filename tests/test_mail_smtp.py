"""Mail as a real mail server receives it (aiosmtpd on 127.0.0.1), and the embedded .eml default.

The tests look at what crosses the wire: the envelope, the raw bytes and the parsed message. That is
where header injection, a wrong encoding or a wrong language would reach a customer, and where an
in-process fake would not notice.
"""

from __future__ import annotations

import logging
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from babel.support import Translations
from flask import Flask
from sqlalchemy import select

from portal import create_app
from portal.accounts.models import User
from portal.config import ConfigError
from portal.database import db
from portal.mail import send_mail
from portal.testing import TEST_PASSWORD, create_user, link_in, log_in, post_form, read_outbox, text_of
from portal.testing.fixtures import free_port, service_unavailable

TESTS = Path(__file__).resolve().parent
MAIL_TEMPLATES = sorted(path.stem for path in (TESTS.parent / "templates" / "mail").glob("*.txt"))
TOP_LEVEL_HEADERS = {
    "Subject",
    "From",
    "To",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Language",
    "Auto-Submitted",
}
PERSIAN_NAME = "مریم رضایی"


# --- a real SMTP server -------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope as the server saw it and the DATA bytes unchanged."""

    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]

    @property
    def header_block(self) -> bytes:
        """The top-level header lines, as a receiving server splits them from the body."""
        return self.raw.split(b"\r\n\r\n", 1)[0]

    def header_names(self) -> list[str]:
        """Names of the top-level headers; a continuation line (leading space) is not a header."""
        lines = self.header_block.split(b"\r\n")
        return [line.split(b":", 1)[0].decode("ascii") for line in lines if line[:1] not in (b" ", b"\t")]


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every message the server accepted, for the test to read."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                list(envelope.mail_options),
                envelope.original_content,
            )
        )
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class SmtpServer:
    url: str
    mailbox: Mailbox

    @property
    def received(self) -> list[Received]:
        return self.mailbox.received

    def only_message(self) -> Received:
        assert len(self.received) == 1, f"expected one message, the server got {len(self.received)}"
        return self.received[0]


@contextmanager
def running_smtp_server(scheme: str = "smtp", tls: ssl.SSLContext | None = None) -> Iterator[SmtpServer]:
    """An SMTP server on a free port; SMTPUTF8 is off so a message needing it would be refused."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=tls,
        server_hostname="mail.test",
        enable_SMTPUTF8=False,
    )
    controller.start()
    try:
        yield SmtpServer(f"{scheme}://127.0.0.1:{port}", mailbox)
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def app_config(app_config: dict[str, object], smtp: SmtpServer) -> dict[str, object]:
    """Every app in this module sends through the test server unless the test changes the URL."""
    app_config["PORTAL_MAIL_URL"] = smtp.url
    return app_config


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA), made with the openssl tool."""
    if shutil.which("openssl") is None:
        service_unavailable("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
    names = "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run([*command.split(), *names.split(), *files], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def smtps(tls_certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """An SMTP server speaking TLS from the first byte (port-465 style), for smtps:// URLs."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_certificate)
    with running_smtp_server("smtps", context) as server:
        yield server


def _send(app: Flask, to_email: str, to_name: str, template: str = "password_changed", **kwargs: Any) -> None:
    """Call the mailer as a view does, inside a request; every template's links are supplied."""
    links = {
        "link": "https://portal.test/verify/abc",
        "login_link": "https://portal.test/login",
        "reset_link": "https://portal.test/forgot-password",
        "new_email": "new@example.com",
    }
    with app.test_request_context():
        send_mail(to_email, to_name, template, kwargs.pop("subject", "A subject"), **{**links, **kwargs})
        db.session.commit()  # the mail job leaves when the caller's transaction commits


def _unverified_user_asks_for_a_link(app: Flask, email: str, **fields: object) -> None:
    """Create an unconfirmed account and ask for its confirmation mail through the real form."""
    create_user(app, verified=False, email=email, **fields)
    response = post_form(app.test_client(), "/verify/resend", {"email": email})
    assert response.status_code == 302, response.get_data(as_text=True)


def _html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None and part.get_content_type() == "text/html"
    return part.get_content()


def _user(app: Flask, email: str) -> User:
    with app.app_context():
        return db.session.execute(select(User).where(User.email == email)).scalar_one()


# --- what arrives ---------------------------------------------------------------------------------


def test_verification_mail_arrives_with_envelope_headers_and_both_parts(app: Flask, smtp: SmtpServer) -> None:
    _unverified_user_asks_for_a_link(app, "ada@example.com", name="Ada Lovelace")

    mail = smtp.only_message()
    assert mail.mail_from == "portal@localhost"
    assert mail.rcpt_tos == ["ada@example.com"]
    message = mail.message
    assert message["From"] == "Customer Portal <portal@localhost>"
    assert message["To"] == "Ada Lovelace <ada@example.com>"
    assert message["Subject"] == "Confirm your email address"
    sent = message["Date"].datetime
    sent = sent if sent.tzinfo else sent.replace(tzinfo=UTC)  # "-0000" means UTC, zone unknown
    assert abs(datetime.now(UTC) - sent) < timedelta(minutes=2)
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message["Message-ID"])
    assert message["Content-Language"] == "en"

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    link = re.search(r"https?://\S+/verify/\S+", text_of(message))
    assert link, text_of(message)
    assert f'href="{link.group(0)}"' in _html_of(message)
    assert "Hello Ada Lovelace," in text_of(message)
    assert read_outbox(app) == [], "with PORTAL_MAIL_URL set nothing is written to instance/mail"


def test_each_mail_has_its_own_message_id(app: Flask, smtp: SmtpServer) -> None:
    _send(app, "ada@example.com", "Ada")
    _send(app, "ada@example.com", "Ada")
    first, second = (mail.message["Message-ID"] for mail in smtp.received)
    assert first != second


@pytest.mark.parametrize(("user_language", "browser_language"), [("fa", "en"), ("en", "fa")])
def test_mail_is_in_the_recipients_language_not_the_visitors(
    app: Flask, smtp: SmtpServer, user_language: str, browser_language: str
) -> None:
    create_user(app, verified=False, email="lang@example.com", language=user_language)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = browser_language
    assert post_form(client, "/verify/resend", {"email": "lang@example.com"}).status_code == 302

    message = smtp.only_message().message
    assert message["Content-Language"] == user_language
    direction = "rtl" if user_language == "fa" else "ltr"
    assert f'<html lang="{user_language}" dir="{direction}">' in _html_of(message)


def test_subject_is_persian_for_a_persian_speaker(app: Flask, smtp: SmtpServer) -> None:
    """Needs the compiled fa catalogue (``make translations``); without it flask-babel falls back."""
    catalogue = Translations.load(str(Path(app.root_path) / "translations"), ["fa"])
    if not isinstance(catalogue, Translations):
        pytest.skip(
            "portal/translations/fa is not compiled yet (make translations); language is "
            "checked through Content-Language and <html lang> in the test above"
        )
    english = "Confirm your email address"
    persian = catalogue.gettext(english)
    assert persian != english, "the fa catalogue has no translation for the verification subject"

    _unverified_user_asks_for_a_link(app, "persian@example.com", language="fa")
    assert smtp.only_message().message["Subject"] == persian


# --- names people type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Eve\r\nBcc: victim@example.com",
        "Eve\nBcc: victim@example.com",
        "Eve\rBcc: victim@example.com",
        # An RFC 2047 encoded word hiding CR LF: Python's parser decodes it even inside quotes.
        "=?utf-8?q?Eve=0D=0ABcc:_victim@example.com?=",
    ],
)
def test_display_name_cannot_inject_a_header_or_a_recipient(app: Flask, smtp: SmtpServer, name: str) -> None:
    response = post_form(
        app.test_client(), "/register", {"name": name, "email": "eve@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302

    mail = smtp.only_message()
    assert mail.rcpt_tos == ["eve@example.com"]
    assert not re.search(rb"^\s*bcc\s*:", mail.header_block, re.IGNORECASE | re.MULTILINE), mail.header_block
    assert sorted(mail.header_names()) == sorted(TOP_LEVEL_HEADERS), mail.header_block
    message = mail.message
    assert message["Bcc"] is None
    [recipient] = message["To"].addresses
    assert recipient.addr_spec == "eve@example.com"
    assert not set("\r\n") & set(recipient.display_name), repr(recipient.display_name)


# A name long enough to be folded, with an address and a comma in it: once folding dropped its quotes
# the To header named two mailboxes, and the envelope, read from that header, mailed the attacker.
ADDRESS_IN_A_LONG_NAME = (
    "Alexandria Montgomery Featherstonehaugh Smithsonian Institute <attacker@evil.example>, x"
)


def _only_recipient(mail: Received) -> Any:
    [recipient] = mail.message["To"].addresses
    return recipient


def test_a_long_name_with_an_address_in_it_cannot_add_a_recipient_at_sign_up(
    app: Flask, smtp: SmtpServer
) -> None:
    response = post_form(
        app.test_client(),
        "/register",
        {"name": ADDRESS_IN_A_LONG_NAME, "email": "victim@example.com", "password": TEST_PASSWORD},
    )
    assert response.status_code == 302

    mail = smtp.only_message()
    assert mail.rcpt_tos == ["victim@example.com"]
    recipient = _only_recipient(mail)
    assert recipient.addr_spec == "victim@example.com"
    # Python's parser shows a space between encoded words (RFC 2047 says to drop it).
    assert " ".join(recipient.display_name.split()) == ADDRESS_IN_A_LONG_NAME
    assert b"attacker@evil.example" not in mail.header_block, "the name travels encoded, never as an address"


def test_a_long_name_set_on_the_profile_cannot_add_a_recipient_to_the_email_change_mails(
    app: Flask, smtp: SmtpServer
) -> None:
    create_user(app, email="victim@example.com")
    client = app.test_client()
    log_in(client, "victim@example.com", TEST_PASSWORD)
    profile = {"name": ADDRESS_IN_A_LONG_NAME, "language": "en", "timezone": "UTC"}
    assert post_form(client, "/account/", profile).status_code == 302
    change = {"email": "new@example.com", "current_password": TEST_PASSWORD}
    assert post_form(client, "/account/email", change).status_code == 302

    confirmation = smtp.only_message()
    assert confirmation.rcpt_tos == ["new@example.com"]
    assert _only_recipient(confirmation).addr_spec == "new@example.com"
    client.get(link_in(confirmation.message, "/account/email/confirm/"))
    notice = smtp.received[-1]
    assert notice.rcpt_tos == ["victim@example.com"]
    assert _only_recipient(notice).addr_spec == "victim@example.com"


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("template", MAIL_TEMPLATES)
def test_persian_name_is_encoded_for_a_7bit_server(
    app: Flask, smtp: SmtpServer, template: str, language: str
) -> None:
    """Headers use RFC 2047 and bodies quoted-printable or base64: smtplib declares no 8BITMIME.

    Short English lines are what made the email package pick raw 8-bit for a Persian greeting.
    """
    _send(app, "maryam@example.com", PERSIAN_NAME, template, locale=language)

    mail = smtp.only_message()
    assert "SMTPUTF8" not in mail.mail_options
    assert mail.raw.isascii(), "8-bit bytes sent without BODY=8BITMIME"
    assert re.search(rb"^To: =\?utf-8\?[bq]\?", mail.header_block, re.IGNORECASE | re.MULTILINE)
    message = mail.message
    [recipient] = message["To"].addresses
    assert (recipient.display_name, recipient.addr_spec) == (PERSIAN_NAME, "maryam@example.com")
    assert PERSIAN_NAME in text_of(message)
    assert PERSIAN_NAME in _html_of(message)


# --- registering through the form ---------------------------------------------------------------


def test_registering_sends_the_verification_mail_over_smtp_and_its_link_confirms(
    app: Flask, smtp: SmtpServer
) -> None:
    client = app.test_client()
    response = post_form(
        client,
        "/register",
        {"name": "Nasrin Tehrani", "email": "Nasrin@Example.com", "password": TEST_PASSWORD},
    )
    assert response.headers["Location"].endswith("/register/check-email")

    mail = smtp.only_message()
    assert mail.rcpt_tos == ["nasrin@example.com"]
    assert not _user(app, "nasrin@example.com").email_verified

    page = client.get(link_in(mail.message, "/verify/"), follow_redirects=True).get_data(as_text=True)
    assert "your email address is confirmed" in page
    assert _user(app, "nasrin@example.com").email_verified
    log_in(client, "nasrin@example.com", TEST_PASSWORD)
    assert "Hello, <bdi>Nasrin Tehrani</bdi>" in client.get("/dashboard").get_data(as_text=True)


# --- the embedded default -----------------------------------------------------------------------


def test_without_a_mail_url_mail_is_saved_as_eml_and_logged(
    app_config: dict[str, object],
    request: pytest.FixtureRequest,
    smtp: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app_config["PORTAL_MAIL_URL"] = ""
    app: Flask = request.getfixturevalue("app")
    caplog.set_level(logging.INFO, logger="portal.mail")

    _unverified_user_asks_for_a_link(app, "embedded@example.com", name="Embedded Person")

    [path] = (Path(app.instance_path) / "mail").glob("*.eml")
    [message] = read_outbox(app)
    assert message["To"] == "Embedded Person <embedded@example.com>"
    assert link_in(message, "/verify/").startswith("/verify/")
    logged = [record.getMessage() for record in caplog.records if record.name == "portal.mail"]
    assert any("embedded@example.com" in line and str(path) in line for line in logged), logged
    assert smtp.received == []


# --- misconfiguration and TLS ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["smtpx://127.0.0.1:25", "http://mail.example.com", "mail.example.com:25"])
def test_a_mail_url_with_another_scheme_stops_the_start(app_config: dict[str, object], url: str) -> None:
    app_config["PORTAL_MAIL_URL"] = url
    with pytest.raises(ConfigError, match=r"PORTAL_MAIL_URL must start with smtp:// or smtps://"):
        create_app(dict(app_config))


def test_smtps_delivers_to_a_server_whose_certificate_is_trusted(
    app_config: dict[str, object],
    request: pytest.FixtureRequest,
    smtps: SmtpServer,
    tls_certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_certificate[0]))  # OpenSSL's own trust-store setting
    app_config["PORTAL_MAIL_URL"] = smtps.url
    app: Flask = request.getfixturevalue("app")
    _send(app, "ada@example.com", "Ada")
    assert smtps.only_message().rcpt_tos == ["ada@example.com"]


def test_smtps_refuses_a_certificate_it_cannot_verify(
    app_config: dict[str, object],
    request: pytest.FixtureRequest,
    smtps: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    app_config["PORTAL_MAIL_URL"] = smtps.url
    app: Flask = request.getfixturevalue("app")
    _send(app, "ada@example.com", "Ada")
    assert smtps.received == []
    assert "certificate verify failed" in _mail_job_error(app)


def test_smtps_against_a_plain_smtp_server_fails_with_a_tls_error(
    app_config: dict[str, object], request: pytest.FixtureRequest, smtp: SmtpServer
) -> None:
    app_config["PORTAL_MAIL_URL"] = smtp.url.replace("smtp://", "smtps://", 1)
    app: Flask = request.getfixturevalue("app")
    _send(app, "ada@example.com", "Ada")
    assert smtp.received == []
    assert read_outbox(app) == []
    assert "SSL" in _mail_job_error(app)


def _mail_job_error(app: Flask) -> str:
    """A mail the server refused stays queued for a retry, with the reason an administrator sees."""
    from portal.jobs import Job

    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.task == "core.deliver_mail")).one()
        assert (job.status, job.attempts) == ("queued", 1)
        return job.last_error or ""
