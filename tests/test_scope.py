"""The principal's scope through real pages: a manager sees what members share, a member their own.

No feature plugin exists yet, so the example plugin's note page (/example/notes/<id>) stands in for
one: it loads a note through ``scope_for(current_user)`` exactly as the tickets plugin will load a
ticket. Anyone who may not read a note gets 404, the same answer as for an id that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from portal_example_plugin.models import Note
from sqlalchemy import select

from portal.accounts.models import User
from portal.database import db
from portal.organizations.models import Membership, Organization
from portal.plugin import scope_for
from portal.testing import TEST_PASSWORD, UserRecord, log_in, post_form, statements_run

pytestmark = pytest.mark.plugins("example")

CSRF_TOKEN = re.compile(r'(?<=name="csrf_token" value=")[^"]+|(?<=name="csrf-token" content=")[^"]+')


@dataclass(frozen=True)
class Family:
    """Sara manages Parsian Trading with members David and Reza; Omid manages another company."""

    sara: UserRecord
    david: UserRecord
    reza: UserRecord
    omid: UserRecord
    organization_id: int
    notes: dict[str, int]


def add_note(app: Flask, user_id: int, body: str, shared: bool) -> int:
    with app.app_context():
        note = Note(user_id=user_id, body=body, shared=shared)
        db.session.add(note)
        db.session.commit()
        return note.id


def add_organization(app: Flask, name: str, people: list[tuple[UserRecord, str]]) -> int:
    with app.app_context():
        organization = Organization(name=name, kind="company")
        db.session.add(organization)
        db.session.flush()
        for person, role in people:
            db.session.add(Membership(user_id=person.id, organization_id=organization.id, role=role))
        db.session.commit()
        return organization.id


@pytest.fixture
def family(app: Flask, make_user) -> Family:
    sara = make_user(name="Sara Ahmadi")
    david = make_user(name="David Chen")
    reza = make_user(name="Reza Rahimi")
    omid = make_user(name="Omid Outsider")
    organization_id = add_organization(
        app, "Parsian Trading", [(sara, "manager"), (david, "member"), (reza, "member")]
    )
    add_organization(app, "Other Company", [(omid, "manager")])
    notes = {
        "david_private": add_note(app, david.id, "David's private note", shared=False),
        "david_shared": add_note(app, david.id, "David's shared note", shared=True),
        "reza_shared": add_note(app, reza.id, "Reza's shared note", shared=True),
        "sara_private": add_note(app, sara.id, "Sara's private note", shared=False),
        "omid_shared": add_note(app, omid.id, "Omid's shared note", shared=True),
    }
    return Family(sara, david, reza, omid, organization_id, notes)


def browser(app: Flask, person: UserRecord) -> FlaskClient:
    client = app.test_client()
    log_in(client, person.email, TEST_PASSWORD)
    return client


def status_of(client: FlaskClient, note_id: int) -> int:
    return client.get(f"/example/notes/{note_id}").status_code


def test_member_cannot_see_another_members_data(app, family):
    david = browser(app, family.david)
    assert status_of(david, family.notes["david_private"]) == 200
    assert status_of(david, family.notes["david_shared"]) == 200
    for other in ("reza_shared", "sara_private", "omid_shared"):
        assert status_of(david, family.notes[other]) == 404, other


def test_manager_sees_shared_data_but_not_private_data(app, family):
    sara = browser(app, family.sara)
    page = sara.get(f"/example/notes/{family.notes['david_shared']}").get_data(as_text=True)
    assert "David&#39;s shared note" in page and "Note by <bdi>David Chen</bdi>" in page
    assert status_of(sara, family.notes["reza_shared"]) == 200
    assert status_of(sara, family.notes["sara_private"]) == 200
    assert status_of(sara, family.notes["david_private"]) == 404
    assert status_of(sara, family.notes["omid_shared"]) == 404


def test_customer_of_another_organization_sees_nothing_and_gets_404_not_403(app, family, make_user):
    omid = browser(app, family.omid)
    never_existed = max(family.notes.values()) + 1000
    for name, note_id in family.notes.items():
        if name != "omid_shared":
            response = omid.get(f"/example/notes/{note_id}")
            assert response.status_code == 404, name
            assert "We cannot find that page" in response.get_data(as_text=True)
    guessed_path = f"/example/notes/{never_existed}"
    existing_path = f"/example/notes/{family.notes['david_shared']}"
    guessed = omid.get(guessed_path)
    assert guessed.status_code == 404

    # The page names the address asked for (the language switcher returns there), nothing else.
    def comparable(page: str, path: str) -> str:
        # CSRF tokens carry a timestamp that may tick over between the two requests.
        return CSRF_TOKEN.sub("", page.replace(path, "PATH"))

    guessed_page = comparable(guessed.get_data(as_text=True), guessed_path)
    existing_page = comparable(omid.get(existing_path).get_data(as_text=True), existing_path)
    assert guessed_page == existing_page, "a note that exists reads exactly like one that does not"
    loner = browser(app, make_user())
    assert status_of(loner, family.notes["david_shared"]) == 404, "in no organization, sees only their own"


def test_shared_notes_list_follows_the_scope(app, family):
    manager_list = browser(app, family.sara).get("/example/notes/shared").get_data(as_text=True)
    assert "David&#39;s shared note" in manager_list and "Reza&#39;s shared note" in manager_list
    assert "private" not in manager_list and "Omid" not in manager_list
    member_list = browser(app, family.david).get("/example/notes/shared").get_data(as_text=True)
    assert "David&#39;s shared note" in member_list
    assert "Reza" not in member_list


def test_removing_a_member_ends_the_managers_view_of_their_data(app, family):
    sara = browser(app, family.sara)
    assert status_of(sara, family.notes["david_shared"]) == 200
    response = post_form(sara, f"/organization/members/{family.david.id}/remove", {})
    assert response.status_code == 302
    assert status_of(sara, family.notes["david_shared"]) == 404
    assert "David" not in sara.get("/example/notes/shared").get_data(as_text=True)
    assert status_of(sara, family.notes["reza_shared"]) == 200, "the others are still hers to see"


def test_a_member_who_leaves_takes_their_data_along(app, family):
    post_form(browser(app, family.reza), "/organization/leave", {})
    assert status_of(browser(app, family.sara), family.notes["reza_shared"]) == 404


def test_a_member_made_manager_sees_the_shared_data(app, family):
    david = browser(app, family.david)
    assert status_of(david, family.notes["reza_shared"]) == 404
    post_form(browser(app, family.sara), f"/organization/members/{family.david.id}/manager", {})
    assert status_of(david, family.notes["reza_shared"]) == 200


# --- the Scope a plugin gets ------------------------------------------------------------------------


def ids(app: Flask, query) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(query))


def test_scope_for_a_manager_a_member_and_a_loner(app, family, make_user):
    loner = make_user()
    with app.app_context():
        manager = scope_for(db.session.get(User, family.sara.id))
        member = scope_for(db.session.get(User, family.david.id))
        alone = scope_for(db.session.get(User, loner.id))
        assert (manager.organization_id, manager.is_manager) == (family.organization_id, True)
        assert (member.organization_id, member.is_manager) == (family.organization_id, False)
        assert (alone.organization_id, alone.is_manager) == (None, False)
        everyone = {family.sara.id, family.david.id, family.reza.id}
        assert set(db.session.scalars(manager.customer_ids())) == everyone
        assert set(db.session.scalars(manager.shared_customer_ids())) == everyone - {family.sara.id}
        assert set(db.session.scalars(member.customer_ids())) == {family.david.id}
        assert set(db.session.scalars(member.shared_customer_ids())) == set()
        assert set(db.session.scalars(alone.customer_ids())) == {loner.id}
        assert manager.can_see(family.david.id) and manager.can_see(family.sara.id)
        assert not manager.can_see(family.omid.id)
        assert member.can_see(family.david.id) and not member.can_see(family.reza.id)
        assert not member.can_see(family.sara.id), "a member does not see the manager's data"


def test_staff_are_not_scoped_through_organizations(app, family, make_user):
    agent = make_user("agent")
    with app.app_context():
        staff_user = db.session.get(User, agent.id)
        scope = scope_for(staff_user)
        assert (scope.user_id, scope.organization_id, scope.is_manager) == (agent.id, None, False)
        assert set(db.session.scalars(scope.customer_ids())) == {agent.id}
        assert not scope.can_see(family.david.id)
    assert status_of(browser(app, agent), family.notes["david_shared"]) == 404


def test_scope_selects_run_inside_the_plugins_query(app, family):
    """The select is a subquery of the caller's statement: membership is read where the rows are."""
    with app.app_context():
        scope = scope_for(db.session.get(User, family.sara.id))
        statement = select(Note.id).where(Note.user_id.in_(scope.customer_ids()))
        assert "portal_memberships" in str(statement)
        db.session.execute(Membership.__table__.delete().where(Membership.user_id == family.reza.id))
        assert family.notes["reza_shared"] not in set(db.session.scalars(statement))


# --- read once per unit of work ---------------------------------------------------------------------


def membership_reads(statements: list[str]) -> int:
    """Statements that look up one customer's membership; a list's subquery of member ids is not one."""
    return sum(
        1
        for statement in statements
        if statement.startswith("SELECT portal_memberships.")
        and "FROM portal_memberships \nWHERE portal_memberships.user_id = " in statement
    )


@pytest.mark.plugins("example", "tickets")
def test_the_ticket_list_reads_the_customers_membership_once(app, family):
    sara = browser(app, family.sara)
    sara.get("/tickets/")
    with statements_run(app) as statements:
        page = sara.get("/tickets/")
    assert page.status_code == 200
    assert membership_reads(statements) == 1, "the list and its owner column each read it"


def test_a_unit_that_changes_a_membership_sees_the_new_scope_at_once(app, family):
    with app.test_request_context():
        reza = db.session.get(User, family.reza.id)
        assert scope_for(reza).organization_id == family.organization_id
        membership = db.session.scalar(select(Membership).where(Membership.user_id == reza.id))
        membership.role = "manager"
        db.session.flush()
        assert scope_for(reza).is_manager, "promoted in this unit"
        db.session.delete(membership)
        db.session.flush()
        assert scope_for(reza).organization_id is None, "gone in this unit"
        db.session.rollback()
        assert scope_for(reza).organization_id == family.organization_id, "nobody committed the removal"
        assert not scope_for(reza).is_manager


def test_the_first_scope_of_a_unit_sees_its_unflushed_change_as_the_orm_would(app, family):
    """The scope is read with a statement built once on the table, which the session would not flush
    for by itself; read_prepared flushes first, except inside no_autoflush, as the ORM does."""
    with app.test_request_context():
        reza = db.session.get(User, family.reza.id)
        membership = db.session.scalar(select(Membership).where(Membership.user_id == reza.id))
        membership.role = "manager"
        with db.session.no_autoflush:
            assert not scope_for(reza).is_manager, "not flushed, as an ORM query would not have"
        db.session.rollback()
    with app.test_request_context():
        reza = db.session.get(User, family.reza.id)
        membership = db.session.scalar(select(Membership).where(Membership.user_id == reza.id))
        membership.role = "manager"
        assert scope_for(reza).is_manager, "the pending promotion is flushed before the read"
        db.session.rollback()
