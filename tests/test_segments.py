"""Segments: named groups of customers, offered by the core and by enabled plugins, asked as queries."""

from __future__ import annotations

import portal_example_plugin.segments
import pytest
from flask import Flask
from portal_example_plugin.models import Note
from sqlalchemy import select

from portal.accounts.models import User
from portal.database import db
from portal.organizations.models import Membership, Organization
from portal.plugin import all_segments, in_segment, segment_by_key, segment_member_ids
from portal.plugin_manager import PluginError
from portal.staff.plugin_switch import switch_plugin
from portal.testing import UserRecord, statements_run

NOTE_KEEPERS = "example.note-keepers"


def add_organization(app: Flask, name: str, members: list[UserRecord]) -> int:
    with app.app_context():
        organization = Organization(name=name, kind="household")
        db.session.add(organization)
        db.session.flush()
        for person in members:
            db.session.add(Membership(user_id=person.id, organization_id=organization.id, role="member"))
        db.session.commit()
        return organization.id


def member_ids(app: Flask, key: str) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(segment_member_ids(key)))


def test_core_offers_all_customers_and_each_organization(app, make_user):
    maryam, ali = make_user(name="Maryam"), make_user(name="Ali")
    make_user("agent")
    karimi = add_organization(app, "Karimi family", [maryam])
    ahmadi = add_organization(app, "Ahmadi family", [ali])
    with app.test_request_context():  # labels are translated, so they read in a request's language
        offered = [(segment.key, str(segment.label)) for segment in all_segments()]
    assert offered == [
        ("all-customers", "All customers"),
        (f"organization:{ahmadi}", "Organization: \u2068Ahmadi family\u2069"),
        (f"organization:{karimi}", "Organization: \u2068Karimi family\u2069"),
    ]  # each name isolated, since a label lands in <option>s, which hold no <bdi>
    assert member_ids(app, "all-customers") == {maryam.id, ali.id}, "staff are not customers"
    assert member_ids(app, f"organization:{karimi}") == {maryam.id}


def test_in_segment_is_one_query_and_loads_no_members(app, make_user):
    people = [make_user() for _ in range(5)]
    karimi = add_organization(app, "Karimi family", people[:3])
    with app.app_context():
        with statements_run(app) as statements:
            assert in_segment(f"organization:{karimi}", people[0].id)
        # One statement finds the organization the key names, one asks the question.
        assert len(statements) == 2, statements
        assert "portal_memberships" in statements[1] and "portal_memberships" not in statements[0]
        with statements_run(app) as statements:
            assert in_segment("all-customers", people[4].id)
        assert len(statements) == 1, statements
        assert not in_segment(f"organization:{karimi}", people[4].id)


def test_unknown_or_malformed_keys_name_nothing(app, make_user):
    customer = make_user()
    with app.app_context():
        for key in (
            "",
            "nope",
            "organization:",
            "organization:abc",
            "organization:١",
            "organization:99999999999",
        ):
            assert segment_by_key(key) is None, key
            assert not in_segment(key, customer.id)
            assert list(db.session.scalars(segment_member_ids(key))) == []


def test_a_deleted_organizations_segment_disappears(app, make_user):
    maryam = make_user()
    karimi = add_organization(app, "Karimi family", [maryam])
    with app.app_context():
        db.session.delete(db.session.get(Organization, karimi))
        db.session.commit()
        assert segment_by_key(f"organization:{karimi}") is None
        assert f"organization:{karimi}" not in [segment.key for segment in all_segments()]


def test_segments_can_target_an_audience_in_a_query(app, make_user):
    """How a documents or surveys plugin uses a stored key: inside its own query, without a list."""
    maryam, ali = make_user(name="Maryam"), make_user(name="Ali")
    karimi = add_organization(app, "Karimi family", [maryam])
    with app.app_context():
        names = db.session.scalars(
            select(User.name).where(User.id.in_(segment_member_ids(f"organization:{karimi}")))
        ).all()
    assert names == ["Maryam"]
    assert ali.id not in member_ids(app, f"organization:{karimi}")


# --- the portal_segments hook -------------------------------------------------------------------


class TestPortalSegmentsHook:
    """Run with the example plugin on and off, the way an operator sets it: in ``PORTAL_PLUGINS``."""

    @pytest.fixture(params=[True, False], ids=["plugin-on", "plugin-off"])
    def plugin_on(self, request: pytest.FixtureRequest) -> bool:
        return request.param

    @pytest.fixture
    def app_config(self, app_config: dict[str, object], plugin_on: bool) -> dict[str, object]:
        app_config["PORTAL_PLUGINS"] = ["example"] if plugin_on else []
        return app_config

    def test_portal_segments_example_segment_offered_only_while_enabled(self, app, make_user, plugin_on):
        writer, reader = make_user(), make_user()
        make_user("agent")
        with app.test_request_context():
            db.session.add(Note(user_id=writer.id, body="A note"))
            db.session.commit()
            keys = [segment.key for segment in all_segments()]
            assert (NOTE_KEEPERS in keys) is plugin_on
            segment = segment_by_key(NOTE_KEEPERS)
            if plugin_on:
                assert str(segment.label) == "Customers who keep notes"
                assert in_segment(NOTE_KEEPERS, writer.id) and not in_segment(NOTE_KEEPERS, reader.id)
                assert set(db.session.scalars(segment_member_ids(NOTE_KEEPERS))) == {writer.id}
            else:
                assert segment is None
                assert not in_segment(NOTE_KEEPERS, writer.id)
                assert list(db.session.scalars(segment_member_ids(NOTE_KEEPERS))) == []


@pytest.mark.plugins("example")
def test_portal_segments_switching_the_plugin_off_withdraws_its_segment(app, make_user):
    writer = make_user()
    with app.app_context():
        db.session.add(Note(user_id=writer.id, body="A note"))
        db.session.commit()
        assert in_segment(NOTE_KEEPERS, writer.id)
        switch_plugin("example", False, actor_id=None)
        assert segment_by_key(NOTE_KEEPERS) is None
        assert not in_segment(NOTE_KEEPERS, writer.id)
        switch_plugin("example", True, actor_id=None)
        assert in_segment(NOTE_KEEPERS, writer.id)


@pytest.mark.plugins("example")
def test_portal_segments_key_outside_the_plugins_name_fails_loudly(app, monkeypatch):
    # The example plugin is made to misbehave by swapping the function its hookimpl calls.
    offered = portal_example_plugin.segments.note_keepers()
    monkeypatch.setattr(
        portal_example_plugin.segments,
        "note_keepers",
        lambda: [type(offered[0])(key="gold", label="Gold", member_ids=offered[0].member_ids)],
    )
    with app.app_context(), pytest.raises(PluginError, match=r"segment keys must start with 'example\.'"):
        all_segments()
