"""The authorization matrix: every route, every method, every kind of visitor, someone else's objects.

Generated from the URL map of an app with every built-in plugin and the example plugin enabled, so a
new route joins the matrix by existing, and fails it until ``authz_world.ARGUMENT_BUILDERS`` says how
to fill its arguments. The expected answer comes from the view's access declaration (public,
customer, agent, admin) and from who owns the object in the URL:

- anonymous on any page that is not public: sent to sign in (302), or 401 for htmx;
- a customer on a staff page, an agent on an administrator's page: 403;
- anyone but its owner on a customer page naming the victim's object: 404 or 403 for a GET; for a POST
  a refusal (4xx) or a redirect that does not lead into the object; the victim's data never appears
  in what they get, and after the walk nothing the victim has is changed;
- the owner reaches their own objects (so a 404 for the others means "not yours", not "no such thing");
- someone in copy on the victim's ticket reads it, its conversation and files (200), and is refused
  everything else of the victim's, closing, rating and the copy list included; someone taken out of
  copy is refused like any stranger;
- staff reach every staff page and the objects on it;
- every API route answers 401 to a browser's cookie, signed in or not: only tokens reach it;
- never a 5xx, for anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from authz_world import (
    ARGUMENT_BUILDERS,
    HIDDEN,
    MARKER,
    MINIMAL_FORMS,
    NOBODY,
    OWNED,
    STAFF,
    VALUE,
    World,
    argument_for,
    build_world,
    victim_state,
)
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.access import ADMIN, AGENT, PUBLIC, declared_access
from portal.api.shell import API_PREFIX
from portal.testing import TEST_PASSWORD, csrf_token, log_in

pytestmark = pytest.mark.plugins(
    "tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter", "insights", "example"
)

ANONYMOUS = "anonymous"
ANONYMOUS_HTMX = "anonymous (htmx)"
# Customers with no claim on the victim; a colleague taken out of copy on their ticket has none left.
ATTACKERS = ("stranger", "other_member", "other_manager", "removed_watcher")
# In copy on the victim's ticket: reads it and its files (and answers), nothing more of theirs.
WATCHER = "watcher"
WATCHER_READS = frozenset({"tickets.show", "tickets.messages", "tickets.download"})
# Pages that show them the ticket: its page, their list, and a reply form sent back with its error.
WATCHER_SEES = WATCHER_READS | {"tickets.index", "tickets.reply"}
STAFF_ROLES = ("agent", "admin")
# They end the visitor's session or membership, so each visitor meets them last.
LAST_ENDPOINTS = ("organizations.leave", "auth.logout")
SIGN_IN_IS_THE_ANSWER = frozenset({"auth.logout"})
WALKED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
POST_REFUSALS = frozenset({400, 403, 404, 409, 410, 422})
ARGUMENT = re.compile(r"<(?:[^<>:]+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    """One rule of the URL map, as the matrix walks it."""

    endpoint: str
    rule: str
    methods: tuple[str, ...]
    level: str | None
    arguments: tuple[str, ...]


def is_static(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


def walked_routes(app: Flask) -> list[Route]:
    """Every non-static rule, those that end a session last."""
    routes = [
        Route(
            endpoint=rule.endpoint,
            rule=rule.rule,
            methods=tuple(method for method in WALKED_METHODS if method in (rule.methods or ())),
            level=declared_access(app.view_functions[rule.endpoint]),
            arguments=tuple(ARGUMENT.findall(rule.rule)),
        )
        for rule in app.url_map.iter_rules()
        if not is_static(rule.endpoint)
    ]
    return sorted(routes, key=lambda route: (ending_order(route.endpoint), route.rule))


def ending_order(endpoint: str) -> int:
    return LAST_ENDPOINTS.index(endpoint) + 1 if endpoint in LAST_ENDPOINTS else 0


def missing_builders(app: Flask) -> list[str]:
    return sorted(
        f"{route.rule} ({route.endpoint}): no builder for <{name}>. Add "
        f'"{name}" or "{route.endpoint}:{name}" to ARGUMENT_BUILDERS in tests/security/authz_world.py, '
        "saying whose object it is (OWNED, HIDDEN, NOBODY, STAFF or VALUE)."
        for route in walked_routes(app)
        for name in route.arguments
        if argument_for(route.endpoint, name) is None
    )


def filled(route: Route, world: World) -> tuple[str, dict[str, tuple[str, str]]]:
    """The rule's URL with each argument replaced by its object, and each argument's kind and value."""
    objects: dict[str, tuple[str, str]] = {}
    for name in route.arguments:
        argument = argument_for(route.endpoint, name)
        assert argument is not None
        objects[name] = (argument.kind, str(argument.value(world)))
    url = ARGUMENT.sub(lambda match: objects[match.group(1)][1], route.rule)
    return url, objects


def is_sign_in_redirect(response: TestResponse) -> bool:
    return response.status_code == 302 and urlsplit(response.location or "").path == "/login"


def leads_into(response: TestResponse, objects: dict[str, tuple[str, str]]) -> bool:
    """Whether a redirect goes to a page of one of the route's objects."""
    segments = urlsplit(response.location or "").path.split("/")
    return any(kind != VALUE and value in segments for kind, value in objects.values())


def judge(role: str, route: Route, method: str, response: TestResponse, objects: dict) -> str | None:
    """What the answer should have been, when it was not that; ``None`` when it was right."""
    status = response.status_code
    if status >= 500:
        return "no server error"
    if route.level is None:
        return "an access declaration on the view (portal.access: public, customer, agent or admin)"
    if route.rule.startswith(API_PREFIX) and route.level != PUBLIC:
        # A browser sends its cookie wherever a page tells it to: the API must take tokens only
        # (test_api_authorization_matrix.py walks it with each kind of token).
        return None if status == 401 else "401: the API takes a bearer token, never the session cookie"
    if route.level != PUBLIC and role == ANONYMOUS:
        return None if is_sign_in_redirect(response) else "302 to /login"
    if route.level != PUBLIC and role == ANONYMOUS_HTMX:
        return None if status == 401 else "401 with HX-Redirect to /login"
    if (route.level == AGENT and role not in STAFF_ROLES) or (route.level == ADMIN and role != "admin"):
        return None if status == 403 else "403"
    if status == 401 or (is_sign_in_redirect(response) and route.endpoint not in SIGN_IN_IS_THE_ANSWER):
        return "an answer for someone signed in, not the sign-in page"
    if route.level in (AGENT, ADMIN):
        if status == 403:
            return "staff reach staff pages"
        if method == "GET" and objects and status == 404:
            return "the object exists and staff may see it: not 404"
        return None
    kinds = {kind for kind, _value in objects.values()}
    if role == WATCHER and method == "GET" and route.endpoint in WATCHER_READS:
        return None if status == 200 else "200: someone in copy reads the ticket and its files"
    if NOBODY in kinds:
        return None if 400 <= status < 500 else "a refusal (4xx): nobody here may use this link"
    foreign = (OWNED in kinds and role != "owner") or (kinds & {HIDDEN, STAFF} and role not in STAFF_ROLES)
    if foreign and method == "GET":
        return None if status in (403, 404) else "404 (or 403): someone else's object"
    if foreign:
        refused = status in POST_REFUSALS or (300 <= status < 400 and not leads_into(response, objects))
        return None if refused else "a refusal (404, 403, 4xx or a redirect elsewhere): someone else's object"
    if role == "owner" and OWNED in kinds and status >= 400:
        return "the owner reaches their own object (else the 404s above prove nothing)"
    return None


class Visitor:
    """A browser of one kind of visitor, with the CSRF token of its session."""

    def __init__(self, app: Flask, role: str, email: str | None) -> None:
        self.role = role
        self.client: FlaskClient = app.test_client()
        if email is not None:
            log_in(self.client, email, TEST_PASSWORD)
        self.headers = {"HX-Request": "true"} if role == ANONYMOUS_HTMX else {}
        self.token = csrf_token(self.client)

    def send(self, method: str, url: str, endpoint: str) -> TestResponse:
        if method == "GET":
            return self.client.get(url, headers=self.headers)
        data = {"csrf_token": self.token, **MINIMAL_FORMS.get(endpoint, {})}
        return self.client.open(url, method=method, data=data, headers=self.headers)


def walk(app: Flask, world: World, role: str, methods: tuple[str, ...] = WALKED_METHODS) -> Iterator[str]:
    """Every route and method as ``role``; yields a line for each wrong answer."""
    person = world.people.get(role)
    visitor = Visitor(app, role, person.email if person else None)
    for route in walked_routes(app):
        if role == ANONYMOUS_HTMX and route.level == PUBLIC:
            continue
        url, objects = filled(route, world)
        for method in route.methods:
            if method not in methods:
                continue
            response = visitor.send(method, url, route.endpoint)
            body = response.get_data()
            expected = judge(role, route, method, response, objects)
            if expected is not None:
                where = f" -> {response.location}" if response.location else ""
                yield f"{role:16} {method:6} {url}: got {response.status_code}{where}, expected {expected}"
            allowed = role == WATCHER and route.endpoint in WATCHER_SEES
            if role not in STAFF_ROLES and role != "owner" and not allowed and MARKER.encode() in body:
                yield f"{role:16} {method:6} {url}: shows the victim's data ({response.status_code})"


def changes(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    """The victim's rows that were changed, added or removed, each as it was and as it is."""
    lines = []
    for table, rows in before.items():
        was = [row for row in rows if row not in after[table]]
        now = [row for row in after[table] if row not in rows]
        if was or now:
            lines.append(f"the victim's {table} changed while others walked the portal:")
            lines.extend(f"  was {row}" for row in was)
            lines.extend(f"  now {row}" for row in now)
    return lines


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Rate limits off: one address signs in as seven people and posts every form once."""
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


def test_every_route_argument_has_a_builder(app: Flask) -> None:
    assert missing_builders(app) == []


def test_every_builder_names_an_argument_of_some_route(app: Flask) -> None:
    used = set()
    for route in walked_routes(app):
        for name in route.arguments:
            used.update({name, f"{route.endpoint}:{name}"})
    stale = sorted(set(ARGUMENT_BUILDERS) - used)
    assert stale == [], f"builders for arguments no route has any more; remove them: {stale}"
    endpoints = {route.endpoint for route in walked_routes(app)}
    assert set(MINIMAL_FORMS) <= endpoints, "MINIMAL_FORMS names an endpoint that is gone"


def test_authorization_matrix(app: Flask) -> None:
    assert missing_builders(app) == [], "\n".join(missing_builders(app))
    world = build_world(app)
    before = victim_state(app, world)
    failures = []
    for role in (ANONYMOUS, ANONYMOUS_HTMX, *ATTACKERS, WATCHER):
        failures.extend(walk(app, world, role))
    after = victim_state(app, world)
    failures.extend(changes(before, after))
    # The owner only reads: their own posts would change what the others were checked against.
    failures.extend(walk(app, world, "owner", methods=("GET",)))
    for role in STAFF_ROLES:
        failures.extend(walk(app, world, role))
    assert not failures, f"{len(failures)} wrong answers:\n" + "\n".join(failures)
