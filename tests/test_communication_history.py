"""The 360° history: what the portal heard from and said to a customer, in words, in one paged list.

The customer acts and is told things through the real paths (a ticket and its reply, a survey, a
document, points, a notification read, mail delivered to the folder, to a real SMTP server, and to a
closed port), and the staff page must read it all newest first, with the channel, the link and what
became of each message. Paging across the three sources is walked to its end and compared with the
whole history.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from test_mail_smtp import running_smtp_server

from plugins.loyalty import ledger
from plugins.surveys import library
from plugins.surveys.models import Invitation, Question
from portal.accounts.emails import send_password_reset
from portal.accounts.models import User
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.notifications.models import Notification
from portal.notifications.service import notify
from portal.sent_mail import SUBJECT_MAX, SentMail
from portal.staff.core_panels import TIMELINE_PAGE_SIZE
from portal.testing import TEST_PASSWORD, UserRecord, log_in, post_form
from portal.testing.fixtures import free_port

pytestmark = pytest.mark.plugins("tickets", "loyalty", "documents", "surveys")

ENTRY = re.compile(
    r'<li>\s*<time datetime="([^"]+)">.*?</time>\s*<span class="timeline-tag">(.*?)</span>\s*'
    r'<span class="event-words">(.*?)</span>\s*</li>',
    re.S,
)
OLDER = re.compile(r'<a href="([^"]+)" rel="next">')
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + b"x" * 2000


@dataclass(frozen=True)
class Entry:
    """One entry as a reader sees it: when, the tag, the words, where the words link, the state."""

    at: str
    tag: str
    words: str
    link: str | None
    state: str | None


def entries_of(page: str) -> list[Entry]:
    panel = page.split('id="panel-timeline"')[1].split("</section>")[0]
    found = []
    for at, tag, words in ENTRY.findall(panel):
        link = re.search(r'<a href="([^"]+)">', words)
        state = re.search(r'<span class="timeline-state">\((.*?)\)</span>', words)
        text = re.sub(r"<span class=\"timeline-state\">.*?</span>", "", words)
        found.append(
            Entry(
                at=at,
                tag=unescape(tag),
                words=unescape(re.sub(r"<[^>]+>", "", text)).strip(),
                link=unescape(link.group(1)) if link else None,
                state=state.group(1) if state else None,
            )
        )
    return found


def history(client: FlaskClient, customer_id: int, query: str = "") -> tuple[str, list[Entry]]:
    response = client.get(f"/staff/customers/{customer_id}{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page, entries_of(page)


def walk(client: FlaskClient, customer_id: int, query: str = "") -> list[Entry]:
    """Every entry, following "Older activity" to the last page."""
    page, entries = history(client, customer_id, query)
    seen = list(entries)
    pages = 1
    while (older := OLDER.search(page)) is not None:
        response = client.get(unescape(older.group(1)))
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        seen += entries_of(page)
        pages += 1
        assert pages < 50, "the pages never end"
    return seen


def signed_in(app: Flask, user: UserRecord) -> FlaskClient:
    browser = app.test_client()
    log_in(browser, user.email, TEST_PASSWORD)
    return browser


def the_one(entries: list[Entry], start: str) -> Entry:
    matching = [entry for entry in entries if entry.words.startswith(start)]
    assert len(matching) == 1, (start, entries)
    return matching[0]


# --- the real paths ---------------------------------------------------------------------------------


def open_and_answer_ticket(app: Flask, customer: UserRecord, agent: UserRecord) -> int:
    response = post_form(
        signed_in(app, customer),
        "/tickets/new",
        {"subject": "Broken charger", "body": "It sparks.", "category": "problem", "priority": "normal"},
    )
    ticket_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    post_form(
        signed_in(app, agent), f"/staff/tickets/{ticket_id}/reply", {"body": "A new one is on its way."}
    )
    return ticket_id


def publish_document_to(app: Flask, agent: UserRecord, customer: UserRecord) -> int:
    data = {
        "title": "Invoice 7",
        "description": "November invoice",
        "category": "invoice",
        "audience": "customer",
        "customer_email": customer.email,
        "segment": "all-customers",
        "template": "",
        "publish_now": "y",
        "file": (io.BytesIO(PDF), "invoice.pdf"),
    }
    response = post_form(
        signed_in(app, agent), "/staff/documents/new", data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    document_id = int(re.search(r"/(\d+)", response.headers["Location"]).group(1))
    assert signed_in(app, customer).get(f"/documents/{document_id}/download").status_code == 200
    return document_id


def answer_a_survey(app: Flask, customer: UserRecord) -> int:
    with app.test_request_context():
        survey, questions = library.build("nps")
        survey.status = "published"
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.add(
            Invitation(survey_id=survey.id, customer_id=customer.id, status="sent", sent_at=utcnow())
        )
        db.session.commit()
        survey_id = survey.id
        nps = db.session.scalars(
            select(Question.id).where(Question.survey_id == survey_id).order_by(Question.position)
        ).first()
    done = post_form(signed_in(app, customer), f"/surveys/{survey_id}/", {f"q{nps}": "9", "action": "submit"})
    assert done.status_code == 302, done.get_data(as_text=True)
    return survey_id


def tell(app: Flask, user_id: int, title: str, url: str | None = None) -> int:
    with app.test_request_context():
        notification = notify(db.session.get(User, user_id), "core.account", title, url=url)
        db.session.commit()
        return notification.id


def mail_reset_link(app: Flask, user_id: int) -> None:
    """The password reset mail, through send_mail and the delivery job, wherever the config sends it."""
    with app.test_request_context():
        send_password_reset(db.session.get(User, user_id))
        db.session.commit()


def test_the_history_reads_everything_said_and_heard_newest_first(app, make_user):
    customer = make_user("customer", name="Sara Ahmadi")
    someone_else = make_user("customer")
    agent = make_user("agent")
    staff = signed_in(app, agent)

    ticket_id = open_and_answer_ticket(app, customer, agent)
    renewed = tell(app, customer.id, "Your plan was renewed", url="/account/")
    signed_in(app, customer).get(f"/notifications/{renewed}/open")
    document_id = publish_document_to(app, agent, customer)
    survey_id = answer_a_survey(app, customer)
    with app.test_request_context():
        ledger.credit(customer.id, 50, "earned", reason="Purchase 12")
        db.session.commit()
    mail_reset_link(app, customer.id)  # to instance/mail
    with running_smtp_server() as server:
        app.config["PORTAL_MAIL_URL"] = server.url
        mail_reset_link(app, customer.id)
        assert len(server.received) == 1
    app.config["PORTAL_MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens: not delivered
    mail_reset_link(app, customer.id)
    app.config["PORTAL_MAIL_URL"] = ""
    tell(app, someone_else.id, "Someone else's notice")
    mail_reset_link(app, someone_else.id)

    page, entries = history(staff, customer.id)
    times = [datetime.fromisoformat(entry.at.removesuffix("Z")) for entry in entries]
    assert times == sorted(times, reverse=True), "newest first"
    assert "Someone else" not in page

    opened = the_one(entries, f"Opened ticket #{ticket_id} ")
    replied = the_one(entries, f"Staff replied on ticket #{ticket_id}.")
    assert opened.link == replied.link == f"/staff/tickets/{ticket_id}"
    assert opened.tag == "Support tickets"
    told = the_one(entries, "Told on the portal: New reply to your ticket “Broken charger”")
    assert (told.tag, told.link, told.state) == ("Portal", f"/tickets/{ticket_id}", "not read yet")
    emailed = the_one(entries, "Emailed: New reply to your ticket “Broken charger”")
    assert (emailed.tag, emailed.link, emailed.state) == ("Email", None, "delivered")
    read = the_one(entries, "Told on the portal: Your plan was renewed")
    assert (read.link, read.state) == ("/account/", "read")

    published = the_one(entries, f"Document #{document_id} was published.")
    downloaded = the_one(entries, f"Downloaded document #{document_id}.")
    assert published.link == downloaded.link == f"/staff/documents/{document_id}"
    assert entries.index(published) > entries.index(downloaded), "published before it was downloaded"
    answered = the_one(entries, f"Answered survey #{survey_id}.")
    assert answered.link == f"/staff/surveys/{survey_id}/results"
    assert the_one(entries, "Earned 50 points.").tag == "Loyalty points"

    resets = [entry for entry in entries if entry.words == "Emailed: Reset your password"]
    assert [entry.state for entry in resets] == ["sent", "delivered", "delivered"], "folder, SMTP, refused"
    assert entries[0] == resets[0], "the last mail is the newest entry"
    for link in {entry.link for entry in entries if entry.link and entry.link.startswith("/staff/")}:
        assert staff.get(link).status_code == 200, link


# --- paging across the three sources ---------------------------------------------------------------

START = datetime(2026, 5, 1, 12, 0, 0)


def insert_rows(model: type[db.Model], rows: list[dict[str, object]]) -> None:
    if rows:
        db.session.execute(insert(model), rows)


def add_history(app: Flask, user_id: int, events: int, notices: int, mails: int, label: str = "") -> None:
    """Rows of each source straight into their tables, interleaved in time; notices and mail tie.

    Events come every 3 minutes, notices and mail every 5 at the very same moments, so the order
    between sources rests on the time and, for equal times, on the source's rank.
    """
    with app.app_context():
        insert_rows(
            StoredEvent,
            [
                {
                    "name": f"example.{label}step_{number:02d}",
                    "payload": {},
                    "customer_id": user_id,
                    "created_at": START + timedelta(minutes=3 * number),
                }
                for number in range(events)
            ],
        )
        insert_rows(
            Notification,
            [
                {
                    "user_id": user_id,
                    "kind": "core.account",
                    "title": f"{label}Notice {number:02d}",
                    "body": "",
                    "created_at": START + timedelta(minutes=5 * number),
                }
                for number in range(notices)
            ],
        )
        insert_rows(
            SentMail,
            [
                {
                    "user_id": user_id,
                    "message_id": f"<{label}{user_id}.{number}@portal.local>",
                    "subject": f"{label}Mail {number:02d}",
                    "template": "notification",
                    "created_at": START + timedelta(minutes=5 * number),
                    "delivered_at": START + timedelta(minutes=5 * number, seconds=1) if number % 2 else None,
                }
                for number in range(mails)
            ],
        )
        db.session.commit()


def expected_words(events: int, notices: int, mails: int) -> list[str]:
    """The whole history in the promised order: newest first; at equal times mail, notice, event."""
    rows = [
        (START + timedelta(minutes=3 * n), 0, n, f"Recorded: example.step_{n:02d}") for n in range(events)
    ]
    rows += [
        (START + timedelta(minutes=5 * n), 1, n, f"Told on the portal: Notice {n:02d}")
        for n in range(notices)
    ]
    rows += [(START + timedelta(minutes=5 * n), 2, n, f"Emailed: Mail {n:02d}") for n in range(mails)]
    return [words for *_key, words in sorted(rows, reverse=True)]


def test_paging_across_sources_loses_and_repeats_nothing(app, client, login_as, make_user):
    person, other = make_user(), make_user()
    add_history(app, person.id, events=25, notices=15, mails=15)
    add_history(app, other.id, events=5, notices=5, mails=5, label="other-")
    login_as("agent")

    page, first = history(client, person.id)
    assert len(first) == TIMELINE_PAGE_SIZE
    tell(app, person.id, "Arrived while paging")
    rest = walk(client, person.id, "?" + unescape(OLDER.search(page).group(1)).split("?", 1)[1])
    walked = [entry.words for entry in first + rest]
    assert walked == expected_words(25, 15, 15), "every entry once, in order, across every page"
    assert not any("other-" in words for words in walked), "another person's history never shows"
    assert not any("Arrived" in words for words in walked), (
        "an entry added meanwhile waits on the newest page"
    )
    newest = [entry.words for entry in history(client, person.id)[1][:2]]
    assert newest == ["Emailed: Arrived while paging", "Told on the portal: Arrived while paging"]
    states = {entry.words: entry.state for entry in first + rest}
    assert (states["Emailed: Mail 14"], states["Emailed: Mail 13"]) == ("sent", "delivered")


def test_entries_out_of_time_order_in_a_source_still_show_once(app, client, login_as, make_user):
    """Rows whose times do not follow their ids (backdated imports) are each shown exactly once."""
    person = make_user()
    add_history(app, person.id, events=30, notices=0, mails=0)
    with app.app_context():
        late = [START + timedelta(minutes=100 - number) for number in range(25)]  # newest id, oldest time
        db.session.execute(
            insert(SentMail),
            [
                {
                    "user_id": person.id,
                    "message_id": f"<late.{number}@portal.local>",
                    "subject": f"Late {number:02d}",
                    "template": "notification",
                    "created_at": at,
                }
                for number, at in enumerate(late)
            ],
        )
        db.session.commit()
    login_as("agent")
    walked = [entry.words for entry in walk(client, person.id)]
    assert len(walked) == len(set(walked)) == 55


def test_the_channel_filter_narrows_the_history_and_refuses_what_it_does_not_know(
    app, client, login_as, make_user
):
    person = make_user()
    add_history(app, person.id, events=25, notices=15, mails=25)
    login_as("agent")
    page, entries = history(client, person.id, "?timeline_channel=email")
    assert 'value="email" selected' in page
    older = unescape(OLDER.search(page).group(1))
    assert "timeline_channel=email" in older, "the older page keeps the filter"
    mails = walk(client, person.id, "?timeline_channel=email")
    assert [entry.words for entry in mails] == [f"Emailed: Mail {n:02d}" for n in reversed(range(25))]
    assert {entry.tag for entry in mails} == {"Email"}
    notices = walk(client, person.id, "?timeline_channel=notifications")
    assert {entry.tag for entry in notices} == {"Portal"} and len(notices) == 15
    events = walk(client, person.id, "?timeline_channel=events")
    assert len(events) == 25 and all(entry.words.startswith("Recorded: ") for entry in events)

    for bad in ("?timeline_channel=sms", "?timeline_channel=" + "x" * 500):
        page, entries = history(client, person.id, bad)
        assert entries == [] and "That filter is not one of the list" in page
    page, entries = history(client, person.id, "?timeline_before=not-a-cursor")
    assert [entry.words for entry in entries] == expected_words(25, 15, 25)[:TIMELINE_PAGE_SIZE]


def test_only_staff_read_the_history(app, client, login_as, make_user):
    person = make_user()
    add_history(app, person.id, events=1, notices=1, mails=1)
    login_as("customer")
    assert client.get(f"/staff/customers/{person.id}?timeline_channel=email").status_code == 403


def test_a_long_subject_is_kept_shortened(app, make_user):
    person = make_user()
    with app.test_request_context():
        from portal.mail import send_mail

        send_mail(person.email, "Sara", "password_changed", "x" * 300, login_link="https://portal.test/login")
        db.session.commit()
        [subject] = db.session.scalars(select(SentMail.subject)).all()
    assert len(subject) == SUBJECT_MAX and subject.endswith("…")
