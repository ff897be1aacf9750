"""The authorization matrix of the API: every route under /api/v1, with each kind of visitor's token.

The page matrix (test_authorization_matrix.py) shows that no API route answers a browser's cookie;
this one walks the same world with bearer tokens holding every scope, so what is refused here is
refused by the account's role and by who owns the object, not by a missing scope:

- a customer with no claim on the victim gets 404 (or 403) for any of the victim's objects, on reads
  and writes, never sees the victim's data in any answer (lists included), and changes nothing of
  theirs even with a well-formed request body;
- someone in copy on the victim's ticket reads that ticket, its messages and their files, and nothing
  more of theirs;
- the owner reads their own objects (so the 404s above mean "not yours", not "no such thing");
- a customer gets 403 from a staff route; staff reach every route; nobody ever gets a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from authz_world import MARKER, OWNED, World, build_world, victim_state
from flask import Flask
from test_authorization_matrix import Route, changes, filled, walked_routes

from portal.access import ADMIN, AGENT, PUBLIC
from portal.api.access import scope_areas
from portal.api.shell import API_PREFIX
from portal.testing import api_token

pytestmark = pytest.mark.plugins(
    "tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter", "insights", "example"
)

ATTACKERS = ("stranger", "other_member", "other_manager", "removed_watcher")
STAFF = ("agent", "admin")
WATCHER_READS = frozenset(
    {
        "tickets_api.get_ticket",
        "tickets_api.list_messages",
        "tickets_api.list_attachments",
        "tickets_api.download_attachment",
    }
)
# Answers that show them the victim's ticket: those, and their own list of tickets.
WATCHER_SEES = WATCHER_READS | {"tickets_api.list_tickets"}
# Well-formed bodies, so a refusal is about who asks, not about what they sent.
BODIES = {
    "tickets_api.open_ticket": {"subject": "Hello", "body": "A question", "category": "question"},
    "tickets_api.reply": {"body": "Written by someone else"},
    "tickets_api.set_status": {"status": "closed"},
    "example_api.add_note": {"body": "A note"},
    "surveys_api.answer_survey": {"answers": {}},
    "api_organizations.add_organization": {"name": "Acquired Ltd", "kind": "company", "manager_id": 1},
    "api_organizations.add_member": {"user_id": 1, "role": "member"},
}


def api_routes(app: Flask) -> list[Route]:
    return [
        route for route in walked_routes(app) if route.rule.startswith(API_PREFIX) and route.level != PUBLIC
    ]


def judge(role: str, route: Route, method: str, status: int, owned: bool) -> str | None:
    """What the answer should have been, when it was not that; ``None`` when it was right."""
    if status >= 500:
        return "no server error"
    if status == 401:
        return "a valid token is accepted"
    staff_route = route.level in (AGENT, ADMIN)
    if role in STAFF and route.level == ADMIN and role != "admin":
        return None if status == 403 else "403: an administrators' route"
    if role in STAFF:
        return "staff reach staff routes" if staff_route and status == 403 else None
    if staff_route or (route.level == ADMIN and role != "admin"):
        return None if status == 403 else "403: a staff route"
    if role == "owner":
        return "the owner reaches their own object" if owned and status >= 400 else None
    if role == "watcher" and route.endpoint in WATCHER_READS:
        return None if status == 200 else "200: someone in copy reads the ticket and its messages"
    if owned and method == "GET":
        return None if status in (403, 404) else "404 (or 403): someone else's object"
    if owned:
        return None if 400 <= status < 500 else "a refusal (4xx): someone else's object"
    return None


def walk(app: Flask, world: World, role: str, methods: tuple[str, ...]) -> Iterator[str]:
    with app.test_request_context():
        scopes = [f"{area}:write" for area in scope_areas()]
    headers = {"Authorization": api_token(app, world.people[role].id, *scopes)}
    client = app.test_client()
    for route in api_routes(app):
        url, objects = filled(route, world)
        owned = any(kind == OWNED for kind, _value in objects.values())
        for method in route.methods:
            if method not in methods:
                continue
            response = client.open(url, method=method, headers=headers, json=BODIES.get(route.endpoint, {}))
            expected = judge(role, route, method, response.status_code, owned)
            if expected is not None:
                yield f"{role:16} {method:6} {url}: got {response.status_code}, expected {expected}"
            sees = role in (*STAFF, "owner") or (role == "watcher" and route.endpoint in WATCHER_SEES)
            if not sees and MARKER.encode() in response.get_data():
                yield f"{role:16} {method:6} {url}: shows the victim's data ({response.status_code})"


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Rate limits off: each visitor calls every route once, faster than any limit allows."""
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


def test_api_authorization_matrix(app: Flask) -> None:
    routes = api_routes(app)
    assert len(routes) >= 8, [route.rule for route in routes]
    world = build_world(app)
    before = victim_state(app, world)
    failures = []
    for role in ATTACKERS:
        failures.extend(walk(app, world, role, ("GET", "POST", "PUT", "PATCH", "DELETE")))
    failures.extend(changes(before, victim_state(app, world)))
    for role in ("watcher", "owner", *STAFF):
        failures.extend(walk(app, world, role, ("GET",)))
    assert not failures, f"{len(failures)} wrong answers:\n" + "\n".join(failures)
