"""Earning rules: any declared event earns the points an administrator set, within a cap per customer."""

from __future__ import annotations

import html
from datetime import timedelta

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from portal_example_plugin.events import NoteAdded
from sqlalchemy import func, select, update

from plugins.loyalty import awards, ledger
from plugins.loyalty.models import EarningRule, Entry
from portal.plugin import Event, db, utcnow
from portal.testing import post_form
from portal.testing.events import emit_as_owner
from portal.testing.races import race_in_app

pytestmark = pytest.mark.plugins("loyalty", "example")

RULES = "/staff/loyalty/earning-rules/"


def add_rule(app: Flask, event_name: str, points: int, **fields: object) -> int:
    with app.app_context():
        rule = EarningRule(event_name=event_name, points=points, reason="", **fields)
        db.session.add(rule)
        db.session.commit()
        return rule.id


def note_added(app: Flask, customer_id: int, note_id: int) -> None:
    with app.app_context():
        emit_as_owner(NoteAdded(note_id=note_id), customer_id=customer_id)
        db.session.commit()


def balance_of(app: Flask, user_id: int) -> int:
    with app.app_context():
        return ledger.balance(user_id)


def awards_of(app: Flask, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Entry).where(Entry.user_id == user_id))


def test_an_administrator_makes_another_plugins_event_earn_with_no_change_to_loyalty(
    app, client, login_as, make_user
):
    person = make_user()
    login_as("admin")
    form = client.get(RULES + "new").get_data(as_text=True)
    assert 'value="example.note_added"' in form
    assert ">A note was added</option>" in form  # the owner's label names the event in the reader's words
    assert 'value="loyalty.points_earned"' not in form, "a rule on loyalty's own events would pay for ever"
    saved = post_form(
        client,
        RULES + "new",
        {"event_name": "example.note_added", "points": "7", "cap_period": "", "active": "y"},
        follow_redirects=True,
    )
    assert "The earning rule for example.note_added is saved." in saved.get_data(as_text=True)
    note_added(app, person.id, note_id=1)
    note_added(app, person.id, note_id=1)  # the same note announced twice is one fact
    note_added(app, person.id, note_id=2)
    assert balance_of(app, person.id) == 14
    with app.app_context():
        reasons = set(db.session.scalars(select(Entry.reason).where(Entry.user_id == person.id)))
    assert reasons == {"event:example.note_added"}, "the event is kept, to be named in each reader's words"


def test_the_form_offers_only_declared_events_and_refuses_other_names(app, client, login_as):
    login_as("admin")
    for name in ("nobody.booked", "loyalty.points_earned", ""):
        refused = post_form(
            client, RULES + "new", {"event_name": name, "points": "5", "cap_period": "", "active": "y"}
        )
        page = html.unescape(refused.get_data(as_text=True))
        assert refused.status_code == 200
        assert "Choose an event from the list; only declared events can earn points." in page
        assert 'value="5"' in page, "what the administrator typed is kept"
    twice = post_form(client, RULES + "new", {"event_name": "tickets.rated", "points": "5", "cap_period": ""})
    assert "This event already has a rule: change that rule instead." in html.unescape(
        twice.get_data(as_text=True)
    )
    half_cap = post_form(
        client,
        RULES + "new",
        {"event_name": "example.note_added", "points": "5", "cap_count": "3", "cap_period": ""},
    )
    assert "Choose the period the cap counts in" in html.unescape(half_cap.get_data(as_text=True))
    with app.app_context():
        names = set(db.session.scalars(select(EarningRule.event_name)))
    assert names == {"tickets.rated", "surveys.completed", "core.email_verified", "core.registered"}


def test_only_administrators_see_and_change_the_rules(app, client, login_as):
    login_as("agent")
    assert client.get(RULES).status_code == 403
    assert (
        post_form(client, RULES + "new", {"event_name": "example.note_added", "points": "5"}).status_code
        == 403
    )
    staff_home = client.get("/staff/").get_data(as_text=True)
    assert "Earning rules" not in staff_home


def test_the_cap_holds_and_a_new_period_pays_again(app, make_user):
    person = make_user()
    add_rule(app, "example.note_added", 5, cap_count=2, cap_period="day")
    for note_id in (1, 2, 3):
        note_added(app, person.id, note_id)
    assert (balance_of(app, person.id), awards_of(app, person.id)) == (10, 2)
    with app.app_context():  # the two awards were yesterday's
        db.session.execute(update(Entry).values(created_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    note_added(app, person.id, 4)
    assert balance_of(app, person.id) == 15


def test_simultaneous_events_cannot_pass_the_cap_together(app, make_user):
    person = make_user()
    rule_id = add_rule(app, "example.note_added", 5, cap_count=2, cap_period="week")
    with app.app_context():
        ledger.account(person.id)
        db.session.commit()

    def handle(number: int) -> bool:
        note = NoteAdded(note_id=100 + number)
        event = Event(
            id=10_000 + number,
            name=NoteAdded.name,
            payload={"note_id": note.note_id},
            customer_id=person.id,
            actor_id=None,
            created_at=utcnow(),
            data=note,
            fact=note.fact,
        )
        paid = awards.handle_event(event) is not None
        db.session.commit()
        return paid

    outcomes = race_in_app(app, 6, handle)
    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)], outcomes
    assert outcomes.count(True) == 2
    assert (balance_of(app, person.id), awards_of(app, person.id)) == (10, 2)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Entry.rule_id == rule_id)) == 2


def test_a_switched_off_rule_awards_nothing(app, client, login_as, make_user):
    person = make_user()
    rule_id = add_rule(app, "example.note_added", 5)
    login_as("admin")
    form = client.get(f"{RULES}{rule_id}").get_data(as_text=True)
    assert "example.note_added" in form and 'name="event_name"' not in form, "a rule's event stays"
    post_form(client, f"{RULES}{rule_id}", {"points": "5", "cap_period": ""})  # "Active" unticked
    note_added(app, person.id, 1)
    assert balance_of(app, person.id) == 0
    assert "example.note_added" in client.get(RULES).get_data(as_text=True)


def test_staff_earn_nothing(app, make_user):
    agent = make_user("agent")
    add_rule(app, "example.note_added", 5)
    note_added(app, agent.id, 1)
    assert awards_of(app, agent.id) == 0


old_settings = sa.table(
    "portal_settings",
    sa.column("plugin", sa.String()),
    sa.column("key", sa.String()),
    sa.column("value", sa.JSON()),
    sa.column("updated_at", sa.DateTime()),
)


def test_the_migration_carries_a_portals_own_numbers_into_rules_and_back(app):
    with app.app_context():
        flask_migrate.downgrade(revision="loyalty_0003")
        with db.engine.begin() as connection:  # a portal that never changed the other two
            connection.execute(sa.delete(old_settings).where(old_settings.c.key.like("points_%")))
            connection.execute(
                sa.insert(old_settings),
                [
                    {"plugin": "loyalty", "key": "points_ticket_rated", "value": 33, "updated_at": utcnow()},
                    {"plugin": "loyalty", "key": "points_email_verified", "value": 0, "updated_at": utcnow()},
                ],
            )
        flask_migrate.upgrade(revision="heads")
        rules = {
            rule.event_name: (rule.points if rule.active else 0)
            for rule in db.session.scalars(select(EarningRule))
        }
        assert rules == {
            "tickets.rated": 33,
            "surveys.completed": 20,  # never changed: the shipped default
            "core.email_verified": 0,  # switched off, as the 0 said
            "core.registered": 0,
        }
        with db.engine.connect() as connection:
            left = connection.execute(select(old_settings.c.key).where(old_settings.c.plugin == "loyalty"))
            assert not {key for key in left.scalars() if key.startswith("points_")}
        db.session.execute(
            update(EarningRule)
            .where(EarningRule.event_name == "core.registered")
            .values(points=5, active=True)
        )
        db.session.commit()
        db.session.remove()
        flask_migrate.downgrade(revision="loyalty_0003")
        with db.engine.connect() as connection:
            values = dict(
                connection.execute(
                    select(old_settings.c.key, old_settings.c.value).where(old_settings.c.plugin == "loyalty")
                ).all()
            )
        assert values == {
            "points_ticket_rated": 33,
            "points_survey_completed": 20,
            "points_email_verified": 0,
            "points_registered": 5,
        }
        flask_migrate.upgrade(revision="heads")


def test_points_from_a_rule_without_a_reason_read_in_each_customers_language(app, client, login_as):
    """The history names the event in the reader's words: the label its owner declared, translated
    when it is shown, so a Persian customer reads Persian even if the points were paid in English."""
    add_rule(app, "example.note_added", 5)
    reader = login_as("customer", language="fa")
    note_added(app, reader.id, note_id=1)
    history = html.unescape(client.get("/loyalty/").get_data(as_text=True))
    assert "یادداشتی افزوده شد" in history
    assert "A customer kept a new note." not in history and "A note was added" not in history
