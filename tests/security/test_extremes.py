"""Integer and date extremes on every route and query parameter: a refusal (400 or 404), never a 500.

The walk is generated from the URL map with every built-in plugin and the example plugin enabled, so a
new route joins it by existing. Each argument of each route gets numbers past the database's integer
range, negative numbers and text; each page gets far dates, huge numbers, an 18-digit id and cursor,
a NUL byte and a very long value in every query parameter it reads (found by watching it read them).
Demo data is loaded first, so ``1`` names a real ticket, survey or document and the query parameters
reach the code that reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Rule

from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.testing import csrf_token, log_in

pytestmark = pytest.mark.plugins(
    "tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter", "insights", "example"
)

INTEGER_EXTREMES = ("0", "-1", "2147483648", "99999999999999999999999", "123456789012345678")
TEXT_EXTREMES = ("abc", "x" * 300, "a\x00b")
QUERY_EXTREMES = (
    "9999-12-31",
    "0001-01-01",
    "-1",
    str(10**30),
    "123456789012345678",
    "2026-01-01T00:00:00_123456789012345678",
    "\x00",
    "x" * 5000,
)
# Signing out in the middle of the walk would turn the rest of it into redirects to the sign-in page.
SKIPPED_ENDPOINTS = frozenset({"auth.logout"})
ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\((?P<options>[^)]*)\))?:)?(?P<name>\w+)>")
DEMO_SIGN_INS = {"admin": "admin@example.com", "customer": "sara@example.com"}


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    with app.app_context():
        load_demo_data()
    return app


@pytest.fixture(params=sorted(DEMO_SIGN_INS))
def signed_in(request: pytest.FixtureRequest, demo_app: Flask) -> FlaskClient:
    """A browser signed in as the demo administrator or the demo customer."""
    client = demo_app.test_client()
    log_in(client, DEMO_SIGN_INS[request.param], DEMO_PASSWORD)
    return client


def walked_rules(app: Flask, method: str) -> list[Rule]:
    return [
        rule
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
        if method in (rule.methods or ())
        and rule.endpoint not in SKIPPED_ENDPOINTS
        and rule.endpoint != "static"
        and not rule.endpoint.endswith(".static")
    ]


def ordinary_value(converter: str | None, options: str | None) -> str:
    """A value each argument's converter accepts: an id that exists in the demo data, or a word."""
    if converter == "int":
        return "1"
    if converter == "any":
        return (options or "").split(",")[0].strip().strip("'\"")
    return "abc"


def url_with(rule: Rule, extreme: tuple[str, str] | None = None) -> str:
    """The rule's path with ordinary values, except ``extreme``'s argument which gets its value."""

    def value(match: re.Match[str]) -> str:
        if extreme is not None and match["name"] == extreme[0]:
            return extreme[1]
        return ordinary_value(match["converter"], match["options"])

    return ARGUMENT.sub(value, rule.rule)


def path_extremes(rule: Rule) -> Iterator[str]:
    """Every URL of the rule with one argument pushed to an extreme."""
    for match in ARGUMENT.finditer(rule.rule):
        values = INTEGER_EXTREMES if match["converter"] == "int" else TEXT_EXTREMES + INTEGER_EXTREMES
        for extreme in values:
            yield url_with(rule, (match["name"], extreme))


class RecordingParameters(ImmutableMultiDict[str, Any]):
    """Request parameters that note every name a view looks up, so the walk knows what each page reads."""

    looked_up: ClassVar[set[str]] = set()

    def __contains__(self, key: object) -> bool:
        self.looked_up.add(str(key))
        return super().__contains__(key)

    def __getitem__(self, key: str) -> Any:
        self.looked_up.add(key)
        return super().__getitem__(key)

    def get(self, key: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.looked_up.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key: str, *args: Any, **kwargs: Any) -> list[Any]:  # type: ignore[override]
        self.looked_up.add(key)
        return super().getlist(key, *args, **kwargs)


def parameters_read(app: Flask, client: FlaskClient, url: str) -> set[str]:
    """The query (and form) parameter names the page at ``url`` looks up when opened plainly.

    Found by watching rather than listed by hand, so a parameter added to a page tomorrow is walked
    too. The app's own request class is kept underneath, with only the parameter storage swapped.
    """
    original = app.request_class

    class Recording(original):  # type: ignore[valid-type, misc]
        parameter_storage_class = type(
            "Recorded", (RecordingParameters, original.parameter_storage_class), {}
        )

    RecordingParameters.looked_up = set()
    app.request_class = Recording
    try:
        server_error(client, "GET", url)
    finally:
        app.request_class = original
    return RecordingParameters.looked_up - {"csrf_token"}


def server_error(client: FlaskClient, method: str, url: str, **request: object) -> str | None:
    """What went wrong if the portal answered with a 5xx (or raised, as a test app does), else None."""
    try:
        response = client.open(url, method=method, **request)
    except Exception as error:  # a test app raises what would have been a 500
        return f"{method} {url}: {type(error).__name__}: {str(error)[:200]}"
    if response.status_code >= 500:
        return f"{method} {url}: {response.status_code}"
    return None


def report(failures: list[str]) -> str:
    return f"{len(failures)} requests failed with a server error:\n" + "\n".join(failures[:60])


def test_extreme_route_arguments_are_refused_not_500(demo_app, signed_in):
    failures = []
    for rule in walked_rules(demo_app, "GET"):
        for url in path_extremes(rule):
            failures.append(server_error(signed_in, "GET", url))
    failures = [failure for failure in failures if failure]
    assert failures == [], report(failures)


def test_extreme_query_parameters_are_refused_not_500(demo_app, signed_in):
    failures = []
    for rule in walked_rules(demo_app, "GET"):
        url = url_with(rule)
        for parameter in sorted(parameters_read(demo_app, signed_in, url)):
            for extreme in QUERY_EXTREMES:
                failure = server_error(signed_in, "GET", url, query_string={parameter: extreme})
                if failure:
                    failures.append(f"{failure} ({parameter}={extreme[:20]!r})")
    assert failures == [], report(failures)


def test_the_walk_finds_the_parameters_pages_read(demo_app, signed_in):
    """Watching a page read its parameters must find those it has, or the walk above tests nothing."""
    assert {"before", "q", "category"} <= parameters_read(demo_app, signed_in, "/tickets/")
    assert {"page", "limit"}.isdisjoint(parameters_read(demo_app, signed_in, "/tickets/"))


def test_empty_forms_to_extreme_routes_are_refused_not_500(demo_app, signed_in):
    token = csrf_token(signed_in)
    failures = []
    for rule in walked_rules(demo_app, "POST"):
        for url in [*path_extremes(rule), url_with(rule)] if rule.arguments else [url_with(rule)]:
            failures.append(server_error(signed_in, "POST", url, data={"csrf_token": token}))
    failures = [failure for failure in failures if failure]
    assert failures == [], report(failures)


def test_the_walk_reaches_every_plugin_and_the_core(demo_app):
    """A walk that silently lost a plugin's routes would pass for the wrong reason."""
    walked = {rule.endpoint.split(".")[0].split("_")[0] for rule in walked_rules(demo_app, "GET")}
    assert {"tickets", "loyalty", "documents", "surveys", "example", "staff", "account"} <= walked
