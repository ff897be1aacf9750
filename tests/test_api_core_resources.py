"""The core's organizations, segments and event feed as an integrator meets them through the API.

Runs on SQLite and, with PORTAL_TEST_DATABASE_URL set, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from plugins.surveys.models import Invitation, Question, Survey
from plugins.tickets.events import TicketCreated, TicketResolved
from portal.accounts.models import User
from portal.api.access import scope_areas
from portal.audit import AuditEvent
from portal.core_events import UserRegistered
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.organizations.membership import add_member, create_organization
from portal.organizations.models import Membership
from portal.staff.plugin_switch import switch_plugin
from portal.testing import api_token, create_user
from portal.testing.events import emit_as_owner

pytestmark = pytest.mark.plugins("tickets", "surveys")


def bearer(app: Flask, user_id: int, *scopes: str) -> dict[str, str]:
    return {"Authorization": api_token(app, user_id, *scopes)}


def organization_with(app: Flask, name: str, manager_id: int, *member_ids: int) -> int:
    """An organization made as the pages make one: its manager first, then its members."""
    with app.app_context():
        organization = create_organization(name, "company", actor_id=None)
        add_member(organization, db.session.get(User, manager_id), "manager", actor_id=None, via="test")
        for member_id in member_ids:
            add_member(organization, db.session.get(User, member_id), "member", actor_id=None, via="test")
        db.session.commit()
        return organization.id


def audit_kinds(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


# --- organizations --------------------------------------------------------------------------------


def test_staff_list_read_and_search_organizations_across_pages(app: Flask) -> None:
    agent = create_user(app, "agent")
    names = ["Parsian Trading", "Ahmadi household", "Parsian Logistics"]
    ids = [organization_with(app, name, create_user(app).id) for name in names]
    staff = bearer(app, agent.id, "organizations:read")
    client = app.test_client()

    first = client.get("/api/v1/organizations/", query_string={"limit": 2}, headers=staff).json
    assert [each["id"] for each in first["items"]] == ids[:2] and first["next_cursor"]
    second = client.get(
        "/api/v1/organizations/", query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=staff
    ).json
    assert [each["id"] for each in second["items"]] == ids[2:] and second["next_cursor"] is None

    found = client.get("/api/v1/organizations/", query_string={"search": "parsian"}, headers=staff).json
    assert [each["name"] for each in found["items"]] == ["Parsian Trading", "Parsian Logistics"]
    wildcard = client.get("/api/v1/organizations/", query_string={"search": "%"}, headers=staff).json
    assert wildcard["items"] == [], "a LIKE wildcard is searched for as itself"

    one = client.get(f"/api/v1/organizations/{ids[1]}", headers=staff)
    assert one.status_code == 200 and one.headers["ETag"]
    assert one.json["kind"] == "company" and one.json["name"] == "Ahmadi household"
    assert client.get("/api/v1/organizations/2147483647", headers=staff).status_code == 404


def test_staff_list_members_with_their_roles(app: Flask) -> None:
    manager = create_user(app, name="Maryam Manager")
    members = [create_user(app, name=f"Member {number}") for number in range(3)]
    organization = organization_with(app, "Parsian Trading", manager.id, *(each.id for each in members))
    staff = bearer(app, create_user(app, "agent").id, "organizations:read")
    client = app.test_client()
    url = f"/api/v1/organizations/{organization}/members"

    first = client.get(url, query_string={"limit": 3}, headers=staff).json
    rest = client.get(url, query_string={"limit": 3, "cursor": first["next_cursor"]}, headers=staff).json
    listed = first["items"] + rest["items"]
    assert rest["next_cursor"] is None
    assert [(each["user_id"], each["role"]) for each in listed] == [
        (manager.id, "manager"),
        *((each.id, "member") for each in members),
    ]
    assert listed[0]["email"] == manager.email and listed[0]["name"] == "Maryam Manager"
    assert client.get("/api/v1/organizations/2147483647/members", headers=staff).status_code == 404


def test_staff_set_up_an_organization_with_its_manager(app: Flask) -> None:
    agent, buyer = create_user(app, "agent"), create_user(app)
    staff = bearer(app, agent.id, "organizations:write")
    client = app.test_client()
    made = client.post(
        "/api/v1/organizations/",
        json={"name": " Parsian Trading ", "kind": "company", "manager_id": buyer.id},
        headers=staff,
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.json["name"] == "Parsian Trading"
    with app.app_context():
        joined = db.session.get(Membership, buyer.id)
        assert joined is not None and (joined.organization_id, joined.role) == (made.json["id"], "manager")
    assert audit_kinds(app)[-3:-1] == ["organization_created", "organization_member_added"]

    twice = client.post(
        "/api/v1/organizations/",
        json={"name": "Again", "kind": "company", "manager_id": buyer.id},
        headers=staff,
    )
    assert twice.status_code == 409 and twice.mimetype == "application/problem+json"
    staffer = client.post(
        "/api/v1/organizations/",
        json={"name": "Staff", "kind": "company", "manager_id": agent.id},
        headers=staff,
    )
    assert staffer.status_code == 422 and "manager_id" in staffer.json["errors"]["json"]
    unknown = client.post(
        "/api/v1/organizations/",
        json={"name": "Nobody", "kind": "company", "manager_id": 2147483647},
        headers=staff,
    )
    assert unknown.status_code == 404
    wrong = client.post(
        "/api/v1/organizations/", json={"name": "\x00", "kind": "club", "manager_id": 0}, headers=staff
    )
    assert wrong.status_code == 422 and set(wrong.json["errors"]["json"]) == {"name", "kind", "manager_id"}
    listed = client.get("/api/v1/organizations/", headers=staff).json["items"]
    assert [each["name"] for each in listed] == ["Parsian Trading"], "nothing made by a refused request"


def test_staff_add_and_remove_members_under_the_pages_rules(app: Flask) -> None:
    agent, manager, newcomer = create_user(app, "agent"), create_user(app), create_user(app)
    elsewhere = create_user(app)
    organization = organization_with(app, "Parsian Trading", manager.id)
    organization_with(app, "Other Ltd", elsewhere.id)
    staff = bearer(app, agent.id, "organizations:write")
    client = app.test_client()
    members = f"/api/v1/organizations/{organization}/members"

    added = client.post(members, json={"user_id": newcomer.id}, headers=staff)
    assert added.status_code == 201, added.get_data(as_text=True)
    assert (added.json["user_id"], added.json["role"]) == (newcomer.id, "member")
    assert client.post(members, json={"user_id": newcomer.id}, headers=staff).status_code == 409
    assert client.post(members, json={"user_id": elsewhere.id}, headers=staff).status_code == 409
    staffer = client.post(members, json={"user_id": agent.id}, headers=staff)
    assert staffer.status_code == 422 and "user_id" in staffer.json["errors"]["json"]
    assert client.post(members, json={"user_id": 2147483647}, headers=staff).status_code == 404
    nowhere = client.post(
        "/api/v1/organizations/2147483647/members", json={"user_id": newcomer.id}, headers=staff
    )
    assert nowhere.status_code == 404
    assert (
        client.post(members, json={"user_id": newcomer.id, "role": "owner"}, headers=staff).status_code == 422
    )

    last_manager = client.delete(f"{members}/{manager.id}", headers=staff)
    assert last_manager.status_code == 409 and "manager" in last_manager.json["detail"]
    removed = client.delete(f"{members}/{newcomer.id}", headers=staff)
    assert removed.status_code == 204 and removed.get_data() == b""
    assert client.delete(f"{members}/{newcomer.id}", headers=staff).status_code == 404
    assert client.delete(f"{members}/{elsewhere.id}", headers=staff).status_code == 404, "not in this one"
    kinds = audit_kinds(app)
    assert "organization_member_removed" in kinds
    with app.app_context():
        removals = db.session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "organization_member_removed")
        ).all()
        assert [(each.actor_id, each.detail["user_id"]) for each in removals] == [(agent.id, newcomer.id)]


def test_a_member_is_not_added_where_no_manager_is(app: Flask) -> None:
    agent, alone, newcomer = create_user(app, "agent"), create_user(app), create_user(app)
    organization = organization_with(app, "Emptied Ltd", alone.id)
    with app.app_context():
        db.session.delete(db.session.get(Membership, alone.id))
        db.session.commit()
    staff = bearer(app, agent.id, "organizations:write")
    url = f"/api/v1/organizations/{organization}/members"
    client = app.test_client()
    assert client.post(url, json={"user_id": newcomer.id}, headers=staff).status_code == 409
    manager = client.post(url, json={"user_id": newcomer.id, "role": "manager"}, headers=staff)
    assert manager.status_code == 201


def test_a_customer_reads_only_their_own_organization(app: Flask) -> None:
    manager, member, stranger, loner = (create_user(app) for _ in range(4))
    mine = organization_with(app, "Parsian Trading", manager.id, member.id)
    organization_with(app, "Other Ltd", stranger.id)
    client = app.test_client()

    own = client.get("/api/v1/organizations/mine", headers=bearer(app, member.id, "organizations:read"))
    assert own.status_code == 200 and own.headers["ETag"]
    assert (own.json["id"], own.json["name"], own.json["role"]) == (mine, "Parsian Trading", "member")
    theirs = client.get("/api/v1/organizations/mine", headers=bearer(app, stranger.id, "organizations:read"))
    assert theirs.json["name"] == "Other Ltd" and theirs.json["role"] == "manager"
    none = client.get("/api/v1/organizations/mine", headers=bearer(app, loner.id, "organizations:read"))
    assert none.status_code == 404 and none.mimetype == "application/problem+json"

    customer = bearer(app, stranger.id, "organizations:write")
    assert client.get("/api/v1/organizations/", headers=customer).status_code == 403
    assert client.get(f"/api/v1/organizations/{mine}", headers=customer).status_code == 403
    assert client.get(f"/api/v1/organizations/{mine}/members", headers=customer).status_code == 403
    joining = client.post(
        f"/api/v1/organizations/{mine}/members", json={"user_id": loner.id}, headers=customer
    )
    assert joining.status_code == 403
    assert (
        client.delete(f"/api/v1/organizations/{mine}/members/{member.id}", headers=customer).status_code
        == 403
    )


def test_organization_routes_need_their_scopes(app: Flask) -> None:
    agent, customer = create_user(app, "agent"), create_user(app)
    organization = organization_with(app, "Parsian Trading", customer.id)
    reader = bearer(app, agent.id, "organizations:read")
    other = bearer(app, agent.id, "customers:write")
    client = app.test_client()
    refused = client.post(
        "/api/v1/organizations/",
        json={"name": "X", "kind": "company", "manager_id": customer.id},
        headers=reader,
    )
    assert refused.status_code == 403 and "organizations:write" in refused.json["detail"]
    removal = client.delete(f"/api/v1/organizations/{organization}/members/{customer.id}", headers=reader)
    assert removal.status_code == 403
    assert client.get("/api/v1/organizations/", headers=other).status_code == 403
    mine = client.get("/api/v1/organizations/mine", headers=bearer(app, customer.id, "account:read"))
    assert mine.status_code == 403 and "organizations:read" in mine.json["detail"]


# --- segments -------------------------------------------------------------------------------------


def test_staff_list_segments_and_their_members_across_pages(app: Flask) -> None:
    manager, member, outsider = create_user(app), create_user(app), create_user(app)
    agent = create_user(app, "agent")
    organization = organization_with(app, "Parsian Trading", manager.id, member.id)
    staff = bearer(app, agent.id, "segments:read")
    client = app.test_client()

    first = client.get("/api/v1/segments/", query_string={"limit": 1}, headers=staff).json
    rest = client.get(
        "/api/v1/segments/", query_string={"limit": 1, "cursor": first["next_cursor"]}, headers=staff
    ).json
    assert rest["next_cursor"] is None
    listed = {each["key"]: each["label"] for each in first["items"] + rest["items"]}
    assert listed.keys() == {"all-customers", f"organization:{organization}"}
    assert (
        listed["all-customers"] == "All customers"
        and "Parsian Trading" in listed[f"organization:{organization}"]
    )

    url = f"/api/v1/segments/organization:{organization}/members"
    page = client.get(url, query_string={"limit": 1}, headers=staff).json
    after = client.get(url, query_string={"limit": 1, "cursor": page["next_cursor"]}, headers=staff).json
    assert [each["customer_id"] for each in page["items"] + after["items"]] == [manager.id, member.id]
    everyone = client.get("/api/v1/segments/all-customers/members", headers=staff).json["items"]
    assert [each["customer_id"] for each in everyone] == [manager.id, member.id, outsider.id], "no staff"

    for unknown in ("organization:2147483647", "organization:x", "loyalty.tier:gold", "nothing"):
        missing = client.get(f"/api/v1/segments/{unknown}/members", headers=staff)
        assert missing.status_code == 404 and missing.mimetype == "application/problem+json", unknown
    broken = client.get("/api/v1/segments/", query_string={"cursor": "~all-customers"}, headers=staff)
    assert broken.status_code == 422 and "cursor" in broken.json["errors"]["query"]


def test_segments_are_for_staff_tokens_with_the_scope(app: Flask) -> None:
    customer, agent = create_user(app), create_user(app, "agent")
    client = app.test_client()
    everything = bearer(app, customer.id, "segments:read", "organizations:write", "account:write")
    assert client.get("/api/v1/segments/", headers=everything).status_code == 403
    assert client.get("/api/v1/segments/all-customers/members", headers=everything).status_code == 403
    without = client.get("/api/v1/segments/", headers=bearer(app, agent.id, "customers:read"))
    assert without.status_code == 403 and "segments:read" in without.json["detail"]


# --- the event feed -------------------------------------------------------------------------------


def emit_ticket_events(app: Flask, customer_id: int) -> list[int]:
    """Events as the tickets plugin and the core store them; their ids, oldest first."""
    with app.app_context():
        stored = [
            emit_as_owner(UserRegistered(user_id=customer_id), customer_id=customer_id),
            emit_as_owner(
                TicketCreated(ticket_id=1, customer_id=customer_id, category="question", priority="normal"),
                customer_id=customer_id,
            ),
            emit_as_owner(TicketResolved(ticket_id=1, customer_id=customer_id), customer_id=customer_id),
        ]
        db.session.commit()
        return [event.id for event in stored]


def test_staff_poll_events_in_order_and_resume_after_the_last_one(app: Flask) -> None:
    customer, other = create_user(app), create_user(app)
    registered, created, resolved = emit_ticket_events(app, customer.id)
    others = emit_ticket_events(app, other.id)
    staff = bearer(app, create_user(app, "agent").id, "events:read")
    client = app.test_client()

    first = client.get("/api/v1/events/", query_string={"limit": 4}, headers=staff)
    assert first.status_code == 200 and first.headers["ETag"]
    rest = client.get(
        "/api/v1/events/", query_string={"limit": 4, "cursor": first.json["next_cursor"]}, headers=staff
    ).json
    assert rest["next_cursor"] is None
    listed = first.json["items"] + rest["items"]
    assert [each["id"] for each in listed] == [registered, created, resolved, *others]
    assert listed[1]["name"] == "tickets.created" and listed[1]["payload"]["ticket_id"] == 1
    assert listed[1]["customer_id"] == customer.id and listed[1]["actor_id"] is None
    assert listed[1]["created_at"].endswith("+00:00")

    resumed = client.get("/api/v1/events/", query_string={"after_id": resolved}, headers=staff).json
    assert [each["id"] for each in resumed["items"]] == others
    nothing_new = client.get("/api/v1/events/", query_string={"after_id": others[-1]}, headers=staff).json
    assert nothing_new == {"items": [], "next_cursor": None}


def test_events_filter_by_name_prefix_and_customer(app: Flask) -> None:
    customer, other = create_user(app), create_user(app)
    _registered, created, resolved = emit_ticket_events(app, customer.id)
    _other_registered, other_created, other_resolved = emit_ticket_events(app, other.id)
    staff = bearer(app, create_user(app, "agent").id, "events:read")
    client = app.test_client()

    def ids(**query: object) -> list[int]:
        answer = client.get("/api/v1/events/", query_string=query, headers=staff)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return [each["id"] for each in answer.json["items"]]

    assert ids(name="tickets.") == [created, resolved, other_created, other_resolved]
    assert ids(name="tickets.resolved") == [resolved, other_resolved]
    assert ids(name="tickets.", customer_id=customer.id) == [created, resolved]
    for wrong in ("tickets", "Tickets.", "tickets.%", "%.", "tickets._", "x" * 101 + "."):
        refused = client.get("/api/v1/events/", query_string={"name": wrong}, headers=staff)
        assert refused.status_code == 422 and "name" in refused.json["errors"]["query"], wrong
    assert client.get("/api/v1/events/", query_string={"after_id": -1}, headers=staff).status_code == 422


def test_events_of_a_switched_off_plugin_are_left_out_until_it_is_back(app: Flask) -> None:
    customer = create_user(app)
    registered, created, resolved = emit_ticket_events(app, customer.id)
    staff = bearer(app, create_user(app, "agent").id, "events:read")
    client = app.test_client()
    with app.app_context():
        switch_plugin("tickets", False, actor_id=None)
        db.session.commit()
    listed = client.get("/api/v1/events/", headers=staff).json["items"]
    assert [each["id"] for each in listed] == [registered]
    with app.app_context():
        switch_plugin("tickets", True, actor_id=None)
        db.session.commit()
    listed = client.get("/api/v1/events/", headers=staff).json["items"]
    assert [each["id"] for each in listed] == [registered, created, resolved]


def published_survey(app: Flask, *, anonymous: bool) -> tuple[int, int]:
    """A published survey with one optional NPS question: its id and the question's."""
    with app.app_context():
        survey = Survey(title="How are we doing?", status="published", anonymous=anonymous)
        db.session.add(survey)
        db.session.flush()
        question = Question(survey_id=survey.id, position=0, kind="nps", text="Recommend us?")
        db.session.add(question)
        db.session.commit()
        return survey.id, question.id


def invite(app: Flask, survey_id: int, customer_id: int) -> None:
    with app.app_context():
        db.session.add(
            Invitation(survey_id=survey_id, customer_id=customer_id, status="sent", sent_at=utcnow())
        )
        db.session.commit()


def test_the_feed_never_shows_an_answer_to_an_anonymous_survey(app: Flask) -> None:
    """An anonymous answer's event names no one, and even its id and moment are kept out of the feed.

    The surveys API gives an anonymous response no id and no time, because a time lines up with what
    else the audit log shows that customer doing; an event saying "response 7 at 10:42:05" would undo it.
    """
    respondent, named_respondent = create_user(app), create_user(app)
    anonymous, anonymous_question = published_survey(app, anonymous=True)
    named, named_question = published_survey(app, anonymous=False)
    client = app.test_client()
    for survey_id, question_id, customer in (
        (anonymous, anonymous_question, respondent),
        (named, named_question, named_respondent),
    ):
        invite(app, survey_id, customer.id)
        sent = client.post(
            f"/api/v1/surveys/{survey_id}/responses",
            json={"answers": {str(question_id): 9}},
            headers=bearer(app, customer.id, "surveys:write"),
        )
        assert sent.status_code == 201, sent.get_data(as_text=True)
    staff = bearer(app, create_user(app, "agent").id, "events:read")

    feed = client.get("/api/v1/events/", headers=staff).get_data(as_text=True)
    completed = client.get("/api/v1/events/", query_string={"name": "surveys."}, headers=staff).json["items"]
    assert [(each["name"], each["payload"]["survey_id"]) for each in completed] == [
        ("surveys.completed", named)
    ], "the anonymous survey's completion is left out"
    assert completed[0]["customer_id"] == named_respondent.id
    assert f'"survey_id":{anonymous}' not in feed.replace(" ", "")
    about = client.get("/api/v1/events/", query_string={"customer_id": respondent.id}, headers=staff).json
    assert about["items"] == []
    with app.app_context():
        stored = db.session.scalars(select(StoredEvent).where(StoredEvent.name == "surveys.completed")).all()
        assert len(stored) == 2, "the event is stored and delivered as ever; only the feed leaves it out"


def test_the_feed_is_for_staff_tokens_with_the_scope(app: Flask) -> None:
    customer, agent = create_user(app), create_user(app, "agent")
    emit_ticket_events(app, customer.id)
    client = app.test_client()
    own = client.get("/api/v1/events/", headers=bearer(app, customer.id, "events:read", "tickets:write"))
    assert own.status_code == 403
    without = client.get("/api/v1/events/", headers=bearer(app, agent.id, "tickets:write"))
    assert without.status_code == 403 and "events:read" in without.json["detail"]


def test_the_new_areas_are_offered_as_the_roles_may_use_them(app: Flask) -> None:
    with app.test_request_context():
        assert {"organizations", "customers", "segments", "events"} <= set(scope_areas())
        customers = scope_areas(staff=False)
    assert "organizations" in customers
    assert not {"customers", "segments", "events"} & set(customers)
