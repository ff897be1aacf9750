"""Safety nets any plugin's tests can put under it: its migrations match its models, and none of its
pages opens to a visitor who is not signed in.

The portal checks the same for itself; these take a plugin's name so a plugin distribution's own
tests catch a forgotten migration or a view left open before a deployment does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, Rule, UUIDConverter

from portal.access import PUBLIC, declared_access
from portal.database import db
from portal.plugin_manager import plugin_host, serves_static_files

SIGN_IN_ENDPOINT = "auth.login"


def check_migrations_match_models(app: Flask, plugin_name: str) -> None:
    """Fail, listing each difference, unless the plugin's migrations made exactly its models' tables.

    The test database was made by ``upgrade heads``; Alembic's autogenerate compares it with the
    models, limited to the tables named ``<plugin name>_…``. A difference means a model changed
    without a migration (or the other way round), which a real deployment would only find at run time.
    """
    prefix = f"{plugin_name}_"

    def include_name(name: str | None, type_: str, _parents: dict[str, str | None]) -> bool:
        return type_ != "table" or (name or "").startswith(prefix)

    def include_object(_object: Any, name: str | None, type_: str, _reflected: bool, _other: Any) -> bool:
        return type_ != "table" or (name or "").startswith(prefix)

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_name": include_name, "include_object": include_object},
        )
        differences = compare_metadata(context, db.metadata)
    assert not differences, (
        f"The migrations of plugin {plugin_name!r} do not make what its models describe:\n"
        + "\n".join(f"  {difference}" for difference in differences)
        + f"\nAdd a revision: portal db revision --autogenerate --head {plugin_name}@head "
        f"--rev-id {plugin_name}_NNNN -m 'what changes', and keep only your tables' changes in it."
    )


@dataclass(frozen=True)
class Visit:
    """One page the anonymous walk opened, and how the portal answered."""

    endpoint: str
    url: str
    status: int
    access: str


def walk_routes_anonymously(client: FlaskClient, plugin_name: str) -> list[Visit]:
    """Open every GET route of an enabled plugin as a visitor; fail unless each is closed or public.

    Each URL argument gets a sample value (``1`` for ids). A view declared ``customer``, ``agent`` or
    ``admin`` must send the visitor to the sign-in page or answer 401, 403 or 404, never show a page;
    a ``public`` view may answer anything but an error of the server. A fresh client without cookies
    walks, whoever ``client`` is signed in as. Returns the visits, so a test can see what was walked.
    """
    app = client.application
    host = plugin_host(app)
    if plugin_name not in host.installed:
        installed = ", ".join(sorted(host.installed))
        raise LookupError(f"No plugin named {plugin_name!r} is installed; installed: {installed}.")
    with app.app_context():
        enabled = host.is_enabled(plugin_name)
    if not enabled:
        raise AssertionError(
            f"Plugin {plugin_name!r} is off, so every route answers 404 and the walk would prove nothing: "
            f'mark the test @pytest.mark.plugins("{plugin_name}").'
        )
    visitor = app.test_client()
    visits: list[Visit] = []
    problems: list[str] = []
    for rule in _plugin_get_rules(app, plugin_name):
        with app.test_request_context():
            url = url_for(rule.endpoint, **_sample_values(rule))
            sign_in = url_for(SIGN_IN_ENDPOINT)
        access = declared_access(app.view_functions[rule.endpoint]) or "undeclared"
        try:
            response = visitor.get(url)
        except Exception as error:  # an error of the server; the client re-raises it while testing
            problems.append(f"GET {url} ({rule.endpoint}, {access}) raised {error!r}")
            continue
        visits.append(Visit(rule.endpoint, url, response.status_code, access))
        closed = response.status_code in (401, 403, 404) or (
            response.status_code in (301, 302, 303, 307, 308)
            and urlsplit(response.headers.get("Location", "")).path == sign_in
        )
        if response.status_code >= 500:
            problems.append(f"GET {url} ({rule.endpoint}, {access}) answered {response.status_code}")
        elif access != PUBLIC and not closed:
            problems.append(
                f"GET {url} ({rule.endpoint}, declared {access}) answered {response.status_code} to a "
                "visitor who is not signed in; it should send them to the sign-in page"
            )
    assert not problems, f"Plugin {plugin_name!r} answers visitors wrongly:\n" + "\n".join(
        f"  {problem}" for problem in problems
    )
    return visits


def _plugin_get_rules(app: Flask, plugin_name: str) -> list[Rule]:
    owners = plugin_host(app).blueprint_owner
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if owners.get(rule.endpoint.split(".")[0]) == plugin_name
            and "GET" in (rule.methods or ())
            and not serves_static_files(rule.endpoint, app.view_functions[rule.endpoint])
        ),
        key=lambda rule: rule.rule,
    )


def _sample_values(rule: Rule) -> dict[str, Any]:
    """A value each argument of ``rule`` accepts: an id that could exist, a word, a fresh UUID."""
    values: dict[str, object] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = max(1, converter.min or 1)
        elif isinstance(converter, FloatConverter):
            values[name] = 1.0
        elif isinstance(converter, UUIDConverter):
            values[name] = uuid.uuid4()
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "1"
    return values
