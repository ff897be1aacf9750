"""Attachments on notification mail (an .ics invitation, a PDF), as a real mail server receives them.

The notification in the portal is the same with or without attachments; the files go with the email
only, survive the mail queue (Redis and a worker included), and anything beyond the limits is refused
before anything is stored or sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from test_mail_smtp import SmtpServer, running_smtp_server

from portal.accounts.models import User
from portal.database import db
from portal.jobs import Job
from portal.notifications.models import Notification, NotificationPreference
from portal.plugin import MailAttachment, NotificationError, notify

ACCOUNT = "core.account"
INVITATION = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//portal//test//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:visit-1@portal.test\r\nDTSTAMP:20261204T113000Z\r\n"
    b"DTSTART:20261210T093000Z\r\nDTEND:20261210T100000Z\r\nSUMMARY:Visit\r\nEND:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)
ICS = MailAttachment("visit.ics", "text/calendar; method=REQUEST", INVITATION)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def app_config(app_config: dict[str, object], smtp: SmtpServer) -> dict[str, object]:
    app_config["PORTAL_MAIL_URL"] = smtp.url
    return app_config


def send(app: Flask, user_id: int, attachments: list[MailAttachment], title: str = "Your visit") -> int:
    """Notify the way a plugin does in a request: ``notify`` in a transaction, then commit."""
    with app.test_request_context():
        notification = notify(
            db.session.get(User, user_id), ACCOUNT, title, body="See you soon.", attachments=attachments
        )
        db.session.commit()
        return notification.id


def stored_outbox(app: Flask) -> list[Path]:
    """Messages waiting in the file storage for their delivery (the default local storage)."""
    return [path for path in (Path(app.instance_path) / "files").rglob("*") if path.is_file()]


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        notifications = db.session.scalar(select(func.count()).select_from(Notification))
        jobs = db.session.scalar(select(func.count()).select_from(Job).where(Job.task == "core.deliver_mail"))
        return notifications or 0, jobs or 0


def test_an_ics_invitation_arrives_as_a_calendar_attachment(app, smtp, make_user):
    person = make_user(email="ada@example.com")
    notification_id = send(app, person.id, [ICS])

    message = smtp.only_message().message
    assert smtp.only_message().rcpt_tos == ["ada@example.com"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "visit.ics"
    assert attachment.get_content().encode() == INVITATION.decode().encode(), "the invitation, unchanged"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "See you soon." in body.get_content(), "the mail still says it in words"

    with app.app_context():
        shown = db.session.get(Notification, notification_id)
        assert (shown.title, shown.body) == ("Your visit", "See you soon."), "the portal's copy is as ever"


def test_a_large_pdf_waits_in_the_storage_and_leaves_it_once_delivered(app, smtp, make_user):
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 8192  # 2 MiB: far more than a job's arguments hold
    person = make_user()
    send(app, person.id, [MailAttachment("statement.pdf", "application/pdf", pdf), ICS])

    message = smtp.only_message().message
    files = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(files) == ["statement.pdf", "visit.ics"]
    assert files["statement.pdf"].get_content_type() == "application/pdf"
    assert files["statement.pdf"].get_content() == pdf, "every byte arrives"
    with app.app_context():
        arguments = db.session.scalars(select(Job.arguments).where(Job.task == "core.deliver_mail")).one()
    assert "message" not in arguments and arguments["message_key"].startswith("outbox/")
    assert stored_outbox(app) == [], "a delivered message does not stay in the storage"


def test_a_refused_delivery_keeps_the_stored_message_for_the_retry(app, make_user):
    app.config["PORTAL_MAIL_URL"] = "smtp://127.0.0.1:1"  # nothing listens there: a real refusal
    big = MailAttachment("statement.pdf", "application/pdf", b"%PDF" + b"x" * 100_000)
    send(app, make_user().id, [big])
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.task == "core.deliver_mail")).one()
        assert (job.status, job.attempts) == ("queued", 1)
    assert len(stored_outbox(app)) == 1, "the retry will find the message where it was"


def test_with_redis_the_attachment_survives_the_queue_and_another_worker(
    redis_queue, app, second_worker, smtp, make_user
):
    pdf = b"%PDF-1.7\n" + b"y" * 300_000
    send(app, make_user().id, [ICS, MailAttachment("statement.pdf", "application/pdf", pdf)])
    assert smtp.received == [] and redis_queue.count == 1, "the request did not wait for the mail server"

    result = second_worker.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    files = {
        part.get_filename(): part.get_content() for part in smtp.only_message().message.iter_attachments()
    }
    assert files["statement.pdf"] == pdf and files["visit.ics"].encode() == INVITATION


def test_no_email_wanted_means_no_mail_and_no_stored_file(app, smtp, make_user):
    person = make_user()
    with app.app_context():
        db.session.add(NotificationPreference(user_id=person.id, kind=ACCOUNT, email=False))
        db.session.commit()
    send(app, person.id, [MailAttachment("statement.pdf", "application/pdf", b"%PDF" + b"z" * 100_000)])
    assert smtp.received == [] and stored_outbox(app) == []
    assert counts(app) == (1, 0), "the notification is in the portal all the same"


def test_a_rolled_back_notification_leaves_no_stored_message(app, smtp, make_user):
    person = make_user()
    big = MailAttachment("statement.pdf", "application/pdf", b"%PDF" + b"r" * 100_000)
    with app.test_request_context():
        notify(db.session.get(User, person.id), ACCOUNT, "Never mind", attachments=[big])
        assert len(stored_outbox(app)) == 1
        db.session.rollback()
    assert stored_outbox(app) == [] and smtp.received == []
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("attachments", "message"),
    [
        ([ICS] * 6, "at most 5 attachments, not 6"),
        (
            [MailAttachment(f"part{n}.pdf", "application/pdf", b"x" * (2 * 1024 * 1024)) for n in range(3)],
            "add up to 6291456 bytes; at most 5242880",
        ),
        ([MailAttachment("../../etc/passwd", "text/plain", b"x")], "without folders or control characters"),
        ([MailAttachment("a\r\nBcc: eve@example.com", "text/plain", b"x")], "without folders"),
        ([MailAttachment("", "text/plain", b"x")], "a file name of 1 to 100 characters"),
        ([MailAttachment("x" * 101, "text/plain", b"x")], "a file name of 1 to 100 characters"),
        ([MailAttachment("visit.ics", "calendar", INVITATION)], "give a MIME type"),
        ([MailAttachment("visit.ics", "text/calendar\r\nX-Evil: 1", INVITATION)], "give a MIME type"),
        ([MailAttachment("visit.ics", "text/calendar", INVITATION.decode())], "with bytes as its data"),  # type: ignore[arg-type]
    ],
)
def test_attachments_beyond_the_limits_are_refused_and_nothing_is_kept(
    app, smtp, make_user, attachments, message
):
    person = make_user()
    with app.test_request_context(), pytest.raises(NotificationError, match=message):
        notify(db.session.get(User, person.id), ACCOUNT, "Too much", attachments=attachments)
    assert counts(app) == (0, 0) and stored_outbox(app) == [] and smtp.received == []
