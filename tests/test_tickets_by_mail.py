"""Tickets by email: replies to ticket mail, new tickets to the support address, mail held until sign-up,
and the auto-reply. Mail goes through the core's real pipeline (``routing.receive``), once through the
real aiosmtpd receiver, and what comes back is read from the outbox.
"""

from __future__ import annotations

import smtplib
import time
from datetime import timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugins.tickets.held_mail_models import HeldFile, HeldMail
from plugins.tickets.models import Attachment, Message, Ticket
from portal.accounts.models import find_user_by_email
from portal.database import db, utcnow
from portal.mail_in.addresses import mail_in_address, reply_address
from portal.mail_in.models import InboundMailRecord
from portal.mail_in.routing import receive
from portal.settings import set_setting
from portal.storage import storage
from portal.testing import (
    TEST_PASSWORD,
    create_user,
    link_in,
    log_in,
    post_form,
    read_outbox,
    run_scheduled_task,
    text_of,
)

pytestmark = pytest.mark.plugins("tickets")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
_sequence = iter(range(1, 1_000_000))


def support(app: Flask) -> str:
    with app.app_context():
        return "@".join(mail_in_address())


def mail(
    sender: str,
    to: str,
    text: str = "It still does not work.",
    subject: str = "Kettle broken",
    files: tuple[tuple[str, str, bytes], ...] = (),
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Sam Sender <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{time.time_ns()}.{next(_sequence)}@customer.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    for filename, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def take(app: Flask, message: EmailMessage) -> InboundMailRecord:
    """Hand a raw message to the core's pipeline, as the receiver and the IMAP poller do."""
    with app.app_context():
        record = receive(message.as_bytes())
        db.session.refresh(record)
        db.session.expunge(record)
        return record


def open_web_ticket(client: FlaskClient) -> int:
    response = post_form(
        client,
        "/tickets/new",
        {"subject": "Parcel is late", "body": "Where is it?", "category": "problem", "priority": "normal"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def mails_to(app: Flask, address: str) -> list[EmailMessage]:
    return [message for message in read_outbox(app) if address in str(message["To"])]


def messages_of(app: Flask, ticket_id: int) -> list[tuple[str, bool, int | None]]:
    with app.app_context():
        return [
            (row.body, row.from_staff, row.author_id)
            for row in db.session.scalars(
                select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)
            )
        ]


def tickets_of(app: Flask, customer_id: int) -> list[Ticket]:
    with app.app_context():
        found = list(db.session.scalars(select(Ticket).where(Ticket.customer_id == customer_id)))
        db.session.expunge_all()
        return found


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def customer_ticket(app: Flask, client: FlaskClient, login_as) -> tuple[object, int]:
    """A customer with a ticket a staff reply was mailed about, so their notification has a Reply-To."""
    me = login_as("customer")
    ticket_id = open_web_ticket(client)
    return me, ticket_id


def reply_to_of(message: EmailMessage) -> str:
    reply_to = str(message["Reply-To"] or "")
    assert "+tickets-" in reply_to, f"no reply address in {dict(message.items())}"
    return reply_to


# --- the auto-reply ------------------------------------------------------------------------------


def test_a_new_ticket_is_confirmed_by_mail_with_number_next_step_and_reply_address(app, customer_ticket):
    me, ticket_id = customer_ticket
    [confirmation] = mails_to(app, me.email)
    text = text_of(confirmation)
    assert f"#{ticket_id}" in str(confirmation["Subject"]) and "Parcel is late" in text
    assert "will answer you by" in text
    assert f"/tickets/{ticket_id}" in text
    assert confirmation["Auto-Submitted"] == "auto-replied"
    assert f"+tickets-{ticket_id}-" in reply_to_of(confirmation)


def test_no_auto_reply_when_the_administrator_switched_it_off(app, client, login_as):
    with app.app_context():
        set_setting("tickets", "auto_reply", False, actor_id=None)
        db.session.commit()
    me = login_as("customer")
    open_web_ticket(client)
    assert mails_to(app, me.email) == []


# --- replies by mail ----------------------------------------------------------------------------


def test_a_mailed_reply_appears_on_the_ticket_with_its_file_and_without_the_quoted_history(
    app, client, customer_ticket
):
    me, ticket_id = customer_ticket
    [confirmation] = mails_to(app, me.email)
    reply = mail(
        me.email,
        reply_to_of(confirmation),
        text="Here is a photo.\n\nOn Monday the portal wrote:\n> We have your request",
        files=(("photo.png", "image/png", PNG),),
    )
    assert take(app, reply).status == "accepted"
    assert [body for body, *_ in messages_of(app, ticket_id)] == ["Where is it?", "Here is a photo."]
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Here is a photo." in page and "photo.png" in page and "We have your request" not in page
    with app.app_context():
        attachment = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id)).one()
        with storage().open(attachment.storage_key) as stream:
            assert stream.read() == PNG
    again = take(app, reply)  # the same Message-ID delivered twice is stored once
    assert again.status in ("accepted", "refused")
    assert len(messages_of(app, ticket_id)) == 2


def test_an_agents_mailed_reply_is_a_staff_reply_the_customer_is_told_about(app, customer_ticket):
    me, ticket_id = customer_ticket
    agent = create_user(app, "agent")
    with app.app_context():
        address = reply_address("tickets", str(ticket_id), agent.email)
    assert take(app, mail(agent.email, address, text="We sent a new one.")).status == "accepted"
    assert messages_of(app, ticket_id)[-1] == ("We sent a new one.", True, agent.id)
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "open"
    notice = mails_to(app, me.email)[-1]
    assert "We sent a new one." in text_of(notice)
    assert f"+tickets-{ticket_id}-" in reply_to_of(notice)


# Refusals the sender is told of by mail, and what the answer says.
ANSWERED = {
    "cannot see": "You can no longer follow request #",
    "too large file": "Its files could not be kept",
}


@pytest.mark.parametrize(
    "case", ["forged", "unknown sender", "cannot see", "auto-reply", "loop", "too large file", "empty"]
)
def test_refused_replies_are_recorded_and_change_nothing(app, customer_ticket, case):
    me, ticket_id = customer_ticket
    address = reply_to_of(mails_to(app, me.email)[0])
    stranger = create_user(app, "customer")
    sender, to, extra, files, text = me.email, address, {}, (), "Please add this."
    if case == "forged":
        to = address.replace(f"+tickets-{ticket_id}-", f"+tickets-{ticket_id + 1}-")
    elif case == "unknown sender":
        sender = "nobody@elsewhere.example"
    elif case == "cannot see":
        sender = stranger.email
        with app.app_context():
            to = reply_address("tickets", str(ticket_id), stranger.email)
    elif case == "auto-reply":
        extra = {"Auto_Submitted": "auto-replied"}
    elif case == "loop":
        sender = support(app)
    elif case == "too large file":
        files = (("small.png", "image/png", PNG), ("big.png", "image/png", PNG + b"\x00" * (6 * 1024 * 1024)))
    elif case == "empty":
        text = ""
    files_before = count(app, Attachment)
    mails_before = len(read_outbox(app))
    record = take(app, mail(sender, to, text=text, files=files, **extra))
    assert record.status == "refused" and record.reason
    assert len(messages_of(app, ticket_id)) == 1
    assert count(app, Attachment) == files_before
    answers = read_outbox(app)[mails_before:]
    if case in ANSWERED:
        # Their signed address proves the mail was theirs: they learn why, and get back what they wrote.
        [answer] = answers
        assert str(answer["To"]).endswith(f"<{sender}>") and ANSWERED[case] in text_of(answer)
        assert "Please add this." in text_of(answer)
    else:
        assert answers == [], "a forged, unknown, automatic or looping sender is never answered"


def test_a_reply_after_the_reopen_period_is_refused_and_the_ticket_stays_closed(app, customer_ticket):
    me, ticket_id = customer_ticket
    address = reply_to_of(mails_to(app, me.email)[0])
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.status, ticket.closed_at = "closed", utcnow() - timedelta(days=30)
        db.session.commit()
    record = take(app, mail(me.email, address, text="Again broken"))
    assert record.status == "refused" and "new ticket" in (record.reason or "")
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "closed"
    answer = mails_to(app, me.email)[-1]
    assert str(answer["Subject"]) == "Your mail was not added: Kettle broken"
    assert f"Request #{ticket_id} is closed and can no longer be reopened" in text_of(answer)
    assert "Again broken" in text_of(answer), "what the customer wrote comes back to them"
    assert "Auto-Submitted" in answer and not answer["Reply-To"], "an answer nobody can loop on"


def test_a_reply_within_the_reopen_period_reopens_a_closed_ticket(app, customer_ticket):
    me, ticket_id = customer_ticket
    address = reply_to_of(mails_to(app, me.email)[0])
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.status, ticket.closed_at = "closed", utcnow() - timedelta(days=1)
        db.session.commit()
    assert take(app, mail(me.email, address, text="Broken again")).status == "accepted"
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "open"


# --- new tickets by mail ------------------------------------------------------------------------


def test_a_mail_to_the_support_address_opens_an_email_ticket_and_gets_the_auto_reply(app, make_user):
    me = make_user("customer")
    record = take(
        app, mail(me.email, support(app), subject="", files=(("bill.pdf", "application/pdf", b"%PDF-1.4 x"),))
    )
    assert record.status == "accepted"
    [ticket] = tickets_of(app, me.id)
    assert (ticket.channel, ticket.subject, ticket.priority, ticket.category) == (
        "email",
        "(no subject)",
        "normal",
        "question",
    )
    assert count(app, Attachment) == 1
    [confirmation] = mails_to(app, me.email)
    assert f"#{ticket.id}" in str(confirmation["Subject"])


# --- tickets before sign-up ---------------------------------------------------------------------


def sign_up(client: FlaskClient, email: str) -> None:
    response = post_form(client, "/register", {"name": "Sam", "email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_mail_before_sign_up_becomes_a_ticket_once_that_address_is_confirmed_and_only_for_it(app, client):
    newcomer, other = "sam@newcomer.example", "kim@other.example"
    sent = mail(newcomer, support(app), text="My kettle leaks.", files=(("leak.png", "image/png", PNG),))
    assert take(app, sent).status == "accepted"
    assert take(app, mail(newcomer, support(app), text="And the lid.", subject="Lid")).status == "accepted"
    [told] = mails_to(app, newcomer)  # once a day, not once per mail
    assert "/register" in text_of(told) and newcomer in text_of(told)
    assert count(app, Ticket) == 0

    sign_up(client, other)
    client.get(link_in(mails_to(app, other)[-1], "/verify/"))
    sign_up(client, newcomer)
    with app.app_context():
        newcomer_id = find_user_by_email(newcomer).id
        other_id = find_user_by_email(other).id
    assert tickets_of(app, other_id) == []
    assert tickets_of(app, newcomer_id) == []  # not confirmed yet: nothing shows
    client.get(link_in(mails_to(app, newcomer)[-1], "/verify/"))

    tickets = sorted(tickets_of(app, newcomer_id), key=lambda ticket: ticket.id)
    assert [(ticket.subject, ticket.channel) for ticket in tickets] == [
        ("Kettle broken", "email"),
        ("Lid", "email"),
    ]
    assert tickets[0].created_at < utcnow() and count(app, HeldMail) == 0 and count(app, HeldFile) == 0
    log_in(client, newcomer, TEST_PASSWORD)
    page = client.get(f"/tickets/{tickets[0].id}").get_data(as_text=True)
    assert "My kettle leaks." in page and "leak.png" in page
    assert tickets_of(app, other_id) == []


def test_held_mail_is_limited_per_address_and_swept_with_its_files_after_30_days(app):
    stranger = "flood@stranger.example"
    with app.app_context():
        for number in range(20):
            db.session.add(
                HeldMail(
                    address=stranger,
                    sender_name="",
                    subject="x",
                    body="x",
                    message_digest=f"{number:064d}",
                    received_at=utcnow() - timedelta(days=40),
                )
            )
        db.session.commit()
    assert take(app, mail(stranger, support(app))).status == "refused"
    run_scheduled_task(app, "tickets.sweep_held_mail")
    assert count(app, HeldMail) == 0
    assert take(app, mail(stranger, support(app), files=(("a.png", "image/png", PNG),))).status == "accepted"
    with app.app_context():
        key = db.session.scalars(select(HeldFile.storage_key)).one()
        held = db.session.scalars(select(HeldMail)).one()
        held.received_at = utcnow() - timedelta(days=31)
        db.session.commit()
    run_scheduled_task(app, "tickets.sweep_held_mail")
    assert count(app, HeldMail) == 0 and count(app, HeldFile) == 0
    with app.app_context():
        assert not storage().exists(key)


# --- through the real SMTP receiver -------------------------------------------------------------


def test_a_reply_through_the_smtp_receiver_appears_on_the_ticket(app, customer_ticket, mail_in_port):
    me, ticket_id = customer_ticket
    address = reply_to_of(mails_to(app, me.email)[0])
    message = mail(
        me.email, address, text="Sent by SMTP.", files=(("note.txt", "text/plain", b"tracking 42"),)
    )
    with smtplib.SMTP("127.0.0.1", mail_in_port, timeout=30) as client:
        client.sendmail(me.email, [address], message.as_bytes())
    assert messages_of(app, ticket_id)[-1][0] == "Sent by SMTP."
    with app.app_context():
        assert db.session.scalars(
            select(Attachment.filename).where(Attachment.ticket_id == ticket_id)
        ).all() == ["note.txt"]
