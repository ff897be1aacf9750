"""The 360° activity in words: every built-in event says what happened and links to it, safely."""

from __future__ import annotations

import dataclasses
import logging
import re
from html import unescape

import pytest
from flask import Flask

from portal.database import db
from portal.event_types import declared_events, generic_description
from portal.events import StoredEvent
from portal.staff.plugin_switch import switch_plugin
from portal.testing import post_form

BUILT_IN = ("tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter", "insights")
pytestmark = pytest.mark.plugins(*BUILT_IN)

# A value of the right kind for each field, close to what the owner stores.
SAMPLE = {
    "category": "problem",
    "priority": "high",
    "author": "staff",
    "old_status": "open",
    "new_status": "resolved",
    "kind": "goodwill",
    "old_tier": "silver",
    "new_tier": "gold",
    "audience": "customer:7",
    "comment": "Quick and kind",
    "by_staff": True,
}


def sample_event(event_type):
    values = {}
    for field in dataclasses.fields(event_type):
        values[field.name] = SAMPLE.get(field.name, 7)
    return event_type(**values)


def built_in_types(app: Flask):
    return [
        declared
        for declared in declared_events(app).by_name.values()
        if declared.owner == "core" or declared.owner in BUILT_IN
    ]


def test_every_built_in_event_says_what_happened_in_words(app):
    declared = built_in_types(app)
    assert {d.owner for d in declared} == {"core", *BUILT_IN}
    with app.test_request_context("/"):
        for found in declared:
            event = sample_event(found.event_type)
            words = str(event.describe())
            assert words != str(generic_description(event.name)), f"{event.name} has no words of its own"
            assert event.name not in words and "_" not in words, words
            assert len(re.sub(r"<[^>]+>", "", words)) > 10, words
            link = event.link()
            if found.owner == "core":
                assert link is None, "the core's events are about the page the timeline is on"
            else:
                assert link is not None and link.startswith("/staff/"), f"{event.name} links nowhere"


def test_text_in_a_sentence_is_escaped_and_isolated(app):
    from plugins.tickets.events import TicketRated

    with app.test_request_context("/"):
        rated = TicketRated(ticket_id=42, customer_id=1, rating=5, comment='<img src=x onerror="a()">')
        words = str(rated.describe())
    assert "<img" not in words and "&lt;img" in words, "text a customer typed is escaped"
    assert "<bdi>&lt;img" in words, "and isolated from the sentence's direction"
    assert words.startswith("Rated ticket #42 5 out of 5, saying: <bdi>")


def test_360_page_shows_activity_in_words_with_a_working_link(app, client, login_as, make_user):
    customer = login_as("customer")
    response = post_form(
        client,
        "/tickets/new",
        {"subject": "Broken charger", "body": "It sparks.", "category": "problem", "priority": "normal"},
    )
    ticket_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    client.post("/logout", data={})
    client.delete_cookie("session")
    login_as("agent")
    page = unescape(client.get(f"/staff/customers/{customer.id}").get_data(as_text=True))
    timeline = page.split('id="panel-timeline"')[1].split("</section>")[0]
    assert f"Opened ticket #{ticket_id} (Problem, Normal priority)." in re.sub(r"</?bdi>", "", timeline)
    assert "tickets.created" not in timeline
    link = re.search(rf'<a href="(/staff/tickets/{ticket_id})">', timeline)
    assert link, timeline
    ticket_page = client.get(link.group(1))
    assert ticket_page.status_code == 200 and "Broken charger" in ticket_page.get_data(as_text=True)


def store(app: Flask, customer_id: int, name: str, payload) -> None:
    with app.app_context():
        db.session.add(StoredEvent(name=name, payload=payload, customer_id=customer_id))
        db.session.commit()


def timeline_of(client, customer_id: int) -> str:
    response = client.get(f"/staff/customers/{customer_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return unescape(page.split('id="panel-timeline"')[1].split("</section>")[0])


def test_unknown_and_old_payloads_fall_back_to_the_generic_sentence(app, client, login_as, make_user):
    person = make_user()
    store(app, person.id, "tickets.status_changed", {"ticket_id": 3})  # fields missing: an older shape
    store(app, person.id, "tickets.resolved", ["not", "a", "mapping"])
    store(app, person.id, "gone.away", {"thing_id": 1})  # a plugin removed since
    store(app, person.id, "tickets.reopened", {"ticket_id": 5, "customer_id": person.id, "extra": "kept"})
    login_as("agent")
    timeline = timeline_of(client, person.id)
    assert "Recorded: " in timeline
    for name in ("tickets.status_changed", "tickets.resolved", "gone.away"):
        assert f"Recorded: <bdi>{name}</bdi>" in timeline
    assert "Ticket #5 was reopened." in timeline, "an extra stored key does not stop a compatible event"
    assert timeline.count("<a href=") == 1


def test_a_failing_describe_costs_only_its_row(app, client, login_as, make_user, monkeypatch, caplog):
    from plugins.tickets.events import TicketResolved

    def broken(self):
        raise RuntimeError("bug in a plugin")

    monkeypatch.setattr(TicketResolved, "describe", broken)
    person = make_user()
    store(app, person.id, "tickets.resolved", {"ticket_id": 4, "customer_id": person.id})
    store(app, person.id, "tickets.reopened", {"ticket_id": 4, "customer_id": person.id})
    login_as("agent")
    with caplog.at_level(logging.ERROR):
        timeline = timeline_of(client, person.id)
    assert "Recorded: <bdi>tickets.resolved</bdi>" in timeline
    assert "Ticket #4 was reopened." in timeline
    assert "tickets.resolved" in caplog.text


def test_a_switched_off_plugin_keeps_its_words_without_a_link(app, client, login_as, make_user):
    person = make_user()
    store(
        app,
        person.id,
        "loyalty.points_earned",
        {"user_id": person.id, "points": 50, "kind": "earned", "entry_id": 1},
    )
    with app.app_context():
        switch_plugin("loyalty", False, actor_id=None)
        db.session.commit()
    login_as("agent")
    timeline = timeline_of(client, person.id)
    assert "Earned 50 points." in timeline
    assert "<a href=" not in timeline
