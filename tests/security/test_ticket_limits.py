"""A customer cannot fill the disk with attachments nor flood the queue with new tickets.

Both limits are administrator settings and are counted in the database, so they hold whichever
worker answers: the tests set small limits through the settings API.
"""

from __future__ import annotations

import io

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugins.tickets.models import Attachment, Ticket
from portal.database import db
from portal.settings import set_setting
from portal.testing import TEST_PASSWORD, log_in, post_form

pytestmark = pytest.mark.plugins("tickets")

MB = 1024 * 1024


def png(size: int) -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * (size - 8)), "shot.png"


def set_limits(app: Flask, admin_id: int, **values: int) -> None:
    with app.app_context():
        for key, value in values.items():
            set_setting("tickets", key, value, admin_id)
        db.session.commit()


def open_ticket(client, subject: str = "Broken parcel", **extra):
    data = {"subject": subject, "body": "My own words", "category": "problem", "priority": "normal", **extra}
    return post_form(client, "/tickets/new", data, content_type="multipart/form-data")


def stored_bytes(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0)))


def test_attachments_past_the_quota_are_refused_and_the_text_kept(app, client, login_as, make_user):
    set_limits(app, make_user("admin").id, attachment_quota_mb=2)
    login_as("customer")
    first = open_ticket(client, files=[png(MB), png(MB // 2)])
    assert first.status_code == 302
    ticket_id = int(first.headers["Location"].rsplit("/", 1)[1])
    used = stored_bytes(app)

    refused = open_ticket(client, subject="Second parcel", files=[png(MB)])
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "You have used 1.5 MB of your 2 MB for attachments, and these files need 1 MB." in page
    assert "Second parcel" in page and "My own words" in page
    reply = post_form(
        client,
        f"/tickets/{ticket_id}/reply",
        {"body": "One more photo", "files": [png(MB)]},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 422
    assert "of your 2 MB for attachments" in reply.get_data(as_text=True)
    assert "One more photo" in reply.get_data(as_text=True)
    assert stored_bytes(app) == used
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1

    small = open_ticket(client, subject="Small one", files=[png(MB // 4)])
    assert small.status_code == 302


def test_staff_files_are_not_held_back_by_the_customers_quota(app, client, make_user):
    customer, agent = make_user(), make_user("agent")
    set_limits(app, make_user("admin").id, attachment_quota_mb=1)
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = int(open_ticket(client, files=[png(MB - 1000)]).headers["Location"].rsplit("/", 1)[1])
    staff = app.test_client()
    log_in(staff, agent.email, TEST_PASSWORD)
    response = post_form(
        staff,
        f"/staff/tickets/{ticket_id}/reply",
        {"body": "The manual", "files": [png(MB // 2)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def test_too_many_new_tickets_in_an_hour_are_refused_on_every_worker(app, second_worker, client, make_user):
    set_limits(app, make_user("admin").id, tickets_per_hour=2)
    customer = make_user()
    log_in(client, customer.email, TEST_PASSWORD)
    assert open_ticket(client, subject="First").status_code == 302
    assert open_ticket(client, subject="Second").status_code == 302

    other_worker = second_worker.test_client()
    log_in(other_worker, customer.email, TEST_PASSWORD)
    refused = open_ticket(other_worker, subject="Third in a row")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "You have opened 2 tickets in the last hour" in page
    assert "please add to an existing ticket or try again later" in page
    assert "Third in a row" in page and "My own words" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 2

    # Another customer has an allowance of their own.
    someone_else = app.test_client()
    log_in(someone_else, make_user().email, TEST_PASSWORD)
    assert open_ticket(someone_else, subject="Someone else").status_code == 302
