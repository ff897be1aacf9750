"""Merging duplicate tickets and splitting a message off: every message ends up on exactly one ticket,
files and people in copy go with it, and old links lead to where the conversation lives now."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugins.tickets.history import TicketChange
from plugins.tickets.models import Attachment, Message, Ticket
from plugins.tickets.watchers import TicketWatcher
from portal.database import db
from portal.testing import TEST_PASSWORD, csrf_token, log_in, post_form
from portal.testing.races import race, same_browser

pytestmark = pytest.mark.plugins("tickets")

TINY_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def switch_to(client: FlaskClient, user) -> None:
    client.post("/logout", data={})
    client.delete_cookie("session")
    log_in(client, user.email, TEST_PASSWORD)


def open_ticket(client: FlaskClient, subject: str, body: str, with_file: str | None = None) -> int:
    data: dict[str, object] = {"subject": subject, "body": body, "category": "problem", "priority": "high"}
    if with_file:
        data["files"] = (io.BytesIO(TINY_PNG), with_file)
    response = post_form(client, "/tickets/new", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def reply(client: FlaskClient, ticket_id: int, body: str, with_file: str | None = None) -> None:
    data: dict[str, object] = {"body": body}
    if with_file:
        data["files"] = (io.BytesIO(TINY_PNG), with_file)
    response = post_form(client, f"/tickets/{ticket_id}/reply", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)


def bodies(app: Flask, ticket_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Message.body).where(Message.ticket_id == ticket_id).order_by(Message.id)
            )
        )


def files_of(app: Flask, ticket_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Attachment.filename).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
            )
        )


def kinds(app: Flask, ticket_id: int) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.scalars(
            select(TicketChange).where(TicketChange.ticket_id == ticket_id).order_by(TicketChange.id)
        )
        return [(row.kind, row.new) for row in rows]


def count_messages(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message)) or 0


@pytest.fixture
def duplicates(app, client, make_user):
    """A customer's two tickets about one parcel (with files and a colleague in copy), and an agent."""
    customer = make_user(name="Cyrus")
    agent = make_user("agent", name="Agent Ava")
    log_in(client, customer.email, TEST_PASSWORD)
    first = open_ticket(client, "Parcel late", "Where is my parcel?", with_file="receipt.png")
    second = open_ticket(client, "Parcel still late", "Any news on the parcel?")
    reply(client, second, "Here is a photo", with_file="photo.png")
    with app.app_context():
        db.session.add(
            TicketWatcher(ticket_id=second, email="colleague@example.com", added_by_id=customer.id)
        )
        db.session.add(TicketWatcher(ticket_id=first, email="colleague@example.com", added_by_id=customer.id))
        db.session.add(TicketWatcher(ticket_id=second, email="boss@example.com", added_by_id=customer.id))
        db.session.commit()
    switch_to(client, agent)
    return customer, agent, first, second


def test_merge_moves_every_message_file_and_watcher_exactly_once(app, client, duplicates):
    _customer, agent, first, second = duplicates
    before = count_messages(app)
    response = post_form(client, f"/staff/tickets/{second}/merge", {"target": str(first)})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/tickets/{first}"

    assert count_messages(app) == before + 1  # the note on the target, nothing lost or doubled
    assert bodies(app, first) == [
        "Where is my parcel?",
        "Any news on the parcel?",
        "Here is a photo",
        f"Ticket #{second} “Parcel still late” was merged into this one.",
    ]
    assert bodies(app, second) == []
    assert files_of(app, first) == ["receipt.png", "photo.png"] and files_of(app, second) == []
    with app.app_context():
        watchers = db.session.scalars(
            select(TicketWatcher.email).where(TicketWatcher.ticket_id == first)
        ).all()
        source = db.session.get(Ticket, second)
        assert (source.status, source.merged_into_id) == ("closed", first)
        note = db.session.scalar(select(Message).where(Message.body.like("Ticket #%merged%")))
        assert note.internal and note.author_id == agent.id
    assert sorted(watchers) == ["boss@example.com", "colleague@example.com"]
    assert ("merged_into", str(first)) in kinds(app, second)
    assert kinds(app, first) == [("merged_in", str(second))]

    page = client.get(f"/staff/tickets/{first}").get_data(as_text=True)
    assert "Here is a photo" in page and "photo.png" in page
    assert f'Ticket <a href="/staff/tickets/{second}">#{second}</a> was merged into this one.' in page


def test_old_links_of_a_merged_ticket_lead_to_the_one_it_was_merged_into(app, client, duplicates):
    customer, _agent, first, second = duplicates
    post_form(client, f"/staff/tickets/{second}/merge", {"target": str(first)})
    staff_old = client.get(f"/staff/tickets/{second}", follow_redirects=True)
    assert staff_old.request.path == f"/staff/tickets/{first}"
    assert f"Ticket #{second} was merged into this one." in staff_old.get_data(as_text=True)

    switch_to(client, customer)
    old = client.get(f"/tickets/{second}")
    assert old.status_code == 302 and old.headers["Location"] == f"/tickets/{first}"
    page = client.get(f"/tickets/{first}").get_data(as_text=True)
    assert f"Ticket #{second} was merged into this one." in page
    assert "Here is a photo" in page
    assert "“Parcel still late” was merged into this one." not in page  # staff's note stays with staff
    listing = client.get("/tickets/").get_data(as_text=True)
    assert f'Merged into <a href="/tickets/{first}">#{first}</a>' in listing


@pytest.mark.parametrize("case", ["itself", "other customer", "merged", "missing", "not a number"])
def test_a_merge_that_cannot_be_made_is_refused_with_a_reason_and_changes_nothing(
    app, client, make_user, duplicates, case
):
    customer, agent, first, second = duplicates
    stranger = make_user(name="Stranger")
    switch_to(client, stranger)
    theirs = open_ticket(client, "Mine", "Not yours")
    switch_to(client, customer)
    third = open_ticket(client, "Parcel, once more", "Hello?")
    switch_to(client, agent)
    if case == "merged":
        assert post_form(client, f"/staff/tickets/{first}/merge", {"target": str(third)}).status_code == 302
    target, reason = {
        "itself": (str(second), "A ticket cannot be merged into itself."),
        "other customer": (str(theirs), f"Ticket #{theirs} belongs to another customer"),
        "merged": (str(first), f"Ticket #{first} was itself merged into ticket #{third}"),
        "missing": ("99999", "There is no ticket #99999."),
        "not a number": ("twelve", "Type the number"),
    }[case]
    before = (bodies(app, second), kinds(app, second))
    response = post_form(client, f"/staff/tickets/{second}/merge", {"target": target})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert reason in html
    assert f'value="{target}"' in html  # what the agent typed is kept
    assert (bodies(app, second), kinds(app, second)) == before
    with app.app_context():
        assert db.session.get(Ticket, second).merged_into_id is None


def test_two_agents_merging_at_once_one_wins(app, client, duplicates, make_user):
    _customer, _agent, first, second = duplicates
    before = count_messages(app)
    form = {"csrf_token": csrf_token(client)}
    tabs = same_browser(client, 2)
    # One merges the second into the first while the other merges the first into the second.
    answers = race(
        2,
        lambda n: tabs[n].post(
            f"/staff/tickets/{(second, first)[n]}/merge", data={**form, "target": str((first, second)[n])}
        ),
    )
    assert all(not isinstance(a, BaseException) and a.status_code < 500 for a in answers), answers
    assert sorted(a.status_code for a in answers) == [302, 422]
    with app.app_context():
        merged = db.session.scalars(select(Ticket).where(Ticket.merged_into_id.is_not(None))).all()
        assert len(merged) == 1
        survivor = merged[0].merged_into_id
    assert count_messages(app) == before + 1
    assert len(bodies(app, survivor)) == 4


def test_a_message_splits_into_a_new_ticket_with_its_files(app, client, duplicates):
    customer, _agent, _first, second = duplicates
    with app.app_context():
        photo = db.session.scalar(select(Message.id).where(Message.body == "Here is a photo"))
        opening = db.session.scalar(select(Message.id).where(Message.body == "Any news on the parcel?"))
    page = client.get(f"/staff/tickets/{second}").get_data(as_text=True)
    assert f"/staff/tickets/{second}/messages/{photo}/split" in page
    assert f"/staff/tickets/{second}/messages/{opening}/split" not in page

    response = post_form(client, f"/staff/tickets/{second}/messages/{photo}/split", {})
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert bodies(app, new_id) == ["Here is a photo"]
    assert bodies(app, second) == ["Any news on the parcel?"]
    assert files_of(app, new_id) == ["photo.png"] and files_of(app, second) == []
    with app.app_context():
        new = db.session.get(Ticket, new_id)
        assert (new.customer_id, new.category, new.priority, new.status) == (
            customer.id,
            "problem",
            "high",
            "new",
        )
        assert new.subject == f"Split from #{second}: Parcel still late"
    assert kinds(app, new_id) == [("split_from", str(second))]
    assert kinds(app, second) == [("split_to", str(new_id))]
    # The same button again: the message has moved, so nothing more happens.
    again = post_form(client, f"/staff/tickets/{second}/messages/{photo}/split", {}, follow_redirects=True)
    assert "That message is not on this ticket any more." in again.get_data(as_text=True)


def test_the_first_message_and_internal_notes_stay(app, client, duplicates):
    _customer, _agent, _first, second = duplicates
    post_form(client, f"/staff/tickets/{second}/reply", {"body": "Only for us", "internal": "y"})
    with app.app_context():
        opening = db.session.scalar(select(Message.id).where(Message.body == "Any news on the parcel?"))
        note = db.session.scalar(select(Message.id).where(Message.body == "Only for us"))
    for message_id, reason in (
        (opening, "The first message opened this ticket, so it cannot be split off."),
        (note, "An internal note cannot be split into a ticket of its own."),
    ):
        answer = post_form(
            client, f"/staff/tickets/{second}/messages/{message_id}/split", {}, follow_redirects=True
        )
        assert reason in answer.get_data(as_text=True)
    assert len(bodies(app, second)) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 2
