"""What a page needs from disk and from CLDR is read once per process, not once per request.

A Persian page used to read every catalogue (the core's and each plugin's) from its ``.mo`` file on
each request; the reader noticed it as a slower page, the operator as CPU spent on parsing files
that never change while the app runs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.support import Translations
from flask import Flask

from plugins.tickets.models import Message, Ticket
from portal import numbers
from portal.database import db, utcnow
from portal.numbers import format_number
from portal.testing import TEST_PASSWORD, log_in

pytestmark = pytest.mark.plugins("tickets", "loyalty")

YOUR_TICKETS_FA = "درخواست‌های پشتیبانی شما"
# A ticket's status, priority and category, in English and as the Persian catalogue has them.
LABELS_EN = ("Waiting on customer", "Urgent", "Question")
LABELS_FA = ("در انتظار پاسخ مشتری", "فوری", "پرسش")


def test_a_persian_page_reads_the_catalogues_from_disk_only_for_the_first_request(
    client, login_as, monkeypatch
):
    login_as("customer", language="fa")
    assert YOUR_TICKETS_FA in client.get("/tickets/").get_data(as_text=True)
    loads: list[object] = []
    load = Translations.load

    def counted(*args: object, **kwargs: object) -> object:
        loads.append(args)
        return load(*args, **kwargs)

    monkeypatch.setattr(Translations, "load", counted)
    for url in ("/tickets/", "/loyalty/", "/tickets/"):
        page = client.get(url)
        assert page.status_code == 200 and 'lang="fa"' in page.get_data(as_text=True)
    assert YOUR_TICKETS_FA in client.get("/tickets/").get_data(as_text=True)
    assert loads == [], "a later request read a catalogue file again"


def test_readers_of_two_languages_in_turn_each_get_their_own(app, make_user):
    readers = {}
    for language in ("fa", "en", "fa", "en"):
        if language not in readers:
            readers[language] = app.test_client()
            log_in(readers[language], make_user(language=language).email, TEST_PASSWORD)
        page = readers[language].get("/tickets/").get_data(as_text=True)
        if language == "fa":
            assert YOUR_TICKETS_FA in page and "Your tickets" not in page
        else:
            assert "Your tickets" in page and YOUR_TICKETS_FA not in page


def waiting_tickets(app: Flask, customer_id: int, count: int) -> None:
    """``count`` urgent questions waiting on the customer, each with its opening message."""
    now = utcnow()
    with app.app_context():
        for number in range(count):
            ticket = Ticket(
                customer_id=customer_id,
                subject=f"Parcel {number}",
                category="question",
                priority="urgent",
                status="waiting",
                first_response_due=now + timedelta(hours=4),
                resolution_due=now + timedelta(days=3),
            )
            db.session.add(ticket)
            db.session.flush()
            db.session.add(Message(ticket_id=ticket.id, author_id=customer_id, body="Where is it?"))
        db.session.commit()


def test_ticket_labels_are_looked_up_once_per_language_not_once_a_row(app, client, make_user, monkeypatch):
    agent = make_user("agent", language="fa")
    waiting_tickets(app, make_user(language="fa").id, 5)
    log_in(client, agent.email, TEST_PASSWORD)
    assert all(label in client.get("/staff/tickets/").get_data(as_text=True) for label in LABELS_FA)
    looked_up: list[str] = []
    lookup = Translations.ugettext

    def counted(catalogue: Translations, message: str) -> str:
        looked_up.append(message)
        return lookup(catalogue, message)

    monkeypatch.setattr(Translations, "ugettext", counted)
    page = client.get("/staff/tickets/").get_data(as_text=True)
    assert all(page.count(label) >= 5 for label in LABELS_FA), "every row shows its labels"
    assert not set(LABELS_EN) & set(looked_up), "a later page looked a label up in the catalogue again"


def test_ticket_labels_follow_each_reader_when_languages_take_turns(app, make_user):
    customer = make_user(language="fa")
    waiting_tickets(app, customer.id, 3)
    readers = {}
    for language in ("fa", "en", "fa", "en"):
        if language not in readers:
            readers[language] = app.test_client()
            log_in(readers[language], make_user("agent", language=language).email, TEST_PASSWORD)
        queue = readers[language].get("/staff/tickets/").get_data(as_text=True)
        shown, not_shown = (LABELS_FA, LABELS_EN) if language == "fa" else (LABELS_EN, LABELS_FA)
        assert all(label in queue for label in shown), language
        assert not any(label in queue for label in not_shown), language


def test_a_whole_number_is_written_once_per_language_and_stays_each_readers(monkeypatch):
    written: list[object] = []
    write = numbers.format_decimal

    def counted(value: object, **options: object) -> str:
        written.append(value)
        return write(value, **options)

    monkeypatch.setattr(numbers, "format_decimal", counted)
    numbers._written_whole_number.cache_clear()
    for _ in range(3):
        assert format_number(48213, locale="fa") == "۴۸٬۲۱۳"
        assert format_number(48213, locale="en") == "48,213"
        assert format_number(48213, locale="en", grouping=False) == "48213"
    assert written == [48213, 48213, 48213], "one Babel call per language and grouping"
    # Other numbers are written each time: as a key -0.0 equals 0, but it is not written as 0.
    assert format_number(0, locale="en") == "0"
    assert format_number(-0.0, locale="en") == write(-0.0, locale="en")
