"""Who may call an API route: a bearer token, its account's role and the token's scopes.

The API never reads the session cookie. A browser sends that cookie with any request a page on
another site makes it send, so a cookie-authenticated API would need CSRF tokens on every call;
a bearer token is sent only by a tool that was given it. Each route declares, like a page, the
least role that may reach it, and the scope the token needs: ``tickets:read`` to read tickets,
``tickets:write`` to change them (which includes reading).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_login import AnonymousUserMixin

from portal.access import ACCESS_ATTRIBUTE, ADMIN, AGENT, CUSTOMER, PUBLIC, STAFF_ROLES
from portal.accounts.models import User
from portal.api.problems import api_abort, is_api_request
from portal.api.tokens import ApiToken, find_active_token
from portal.database import db
from portal.plugin_manager import plugin_host
from portal.transfers.registry import plugin_areas

View = TypeVar("View", bound=Callable[..., Any])

SCOPE_ATTRIBUTE = "portal_api_scope"
# The core's own areas of scopes; each plugin that adds API routes has one more, named after it.
CORE_SCOPE_AREAS = ("account", "notifications", "organizations")
# Areas whose every route is for staff: a customer's token is not offered them.
STAFF_SCOPE_AREAS = ("customers", "segments", "events")
# Areas whose every route is for administrators: only their tokens are offered them.
ADMIN_SCOPE_AREAS = ("webhooks",)
# Areas where no route changes anything, and where a customer's routes only read: offering "read and
# write" there would promise what no route does.
READ_ONLY_AREAS = ("segments", "events")
READ_ONLY_FOR_CUSTOMERS = ("organizations",)
BEARER = "bearer "


@dataclass(frozen=True)
class PathScope:
    """A scope the route's path decides: one route for several areas (``/imports/<kind>``).

    ``scope(view_args)`` gives the scope the request needs, or ``None`` when the path names nothing
    on offer (the answer is then 404, after the role is checked); ``described`` is how the OpenAPI
    document states it, such as ``<the kind's area>:write``.
    """

    scope: Callable[[Mapping[str, Any]], str | None]
    described: str


def api_access(level: str, scope: str | PathScope | None) -> Callable[[View], View]:
    """Declare who may call an API view: ``level`` (customer, agent or admin) and the token's ``scope``.

    Put it under the blueprint's ``route``, ``arguments`` and ``response`` decorators, next to the
    function. The check runs before the request's arguments are read (``authenticate_api_request``),
    so a caller without the right learns nothing about what the route takes. A customer-level view
    must still scope its data to ``current_api_user()``, exactly as a page scopes to the signed-in
    person. ``public`` with no scope is for the API's own description; a ``PathScope`` is for a
    route whose path names the area.
    """
    if level not in (PUBLIC, CUSTOMER, AGENT, ADMIN):
        raise ValueError(f"Unknown access level {level!r}")
    if (level == PUBLIC) != (scope is None):
        raise ValueError("A public API view takes no scope, and every other view needs one.")

    def decorate(view: View) -> View:
        setattr(view, ACCESS_ATTRIBUTE, level)
        setattr(view, SCOPE_ATTRIBUTE, scope)
        doc = dict(getattr(view, "_apidoc", {}))
        if scope is None:
            doc["manual_doc"] = {**doc.get("manual_doc", {}), "security": []}
        else:
            named = scope if isinstance(scope, str) else scope.described
            doc["manual_doc"] = {
                **doc.get("manual_doc", {}),
                "security": [{"bearerAuth": [scope] if isinstance(scope, str) else []}],
                "x-portal-access": {"role": level, "scope": named},
            }
        setattr(view, "_apidoc", doc)  # noqa: B010  (where flask-smorest keeps a view's documentation)
        return view

    return decorate


def _check(level: str, scope: str | PathScope) -> None:
    token: ApiToken | None = g.get("api_token")
    if token is None:
        detail = (
            "This token is unknown, expired or revoked; make a new one." if request_token_text() else None
        )
        api_abort(401, detail)
    user = current_api_user()
    if (level == AGENT and user.role not in STAFF_ROLES) or (level == ADMIN and user.role != "admin"):
        api_abort(403, f"Only {'staff' if level == AGENT else 'administrators'} may do this.")
    if isinstance(scope, PathScope):
        needed = scope.scope(request.view_args or {})
        if needed is None:
            api_abort(404)
        scope = needed
    if not token.allows(scope):
        api_abort(403, f"This token lacks the scope '{scope}'; make a token with it.")


def current_api_user() -> User:
    """The account whose token made this request; only inside a view that declared a level."""
    token: ApiToken = g.api_token
    user = db.session.get(User, token.user_id)
    assert user is not None  # the token's row goes with its account
    return user


def withhold_from_audit() -> None:
    """Keep this request out of the audit log: it would tell staff what the portal promised not to.

    An answer to an anonymous survey is the example: an audit line "this customer's token posted to
    that survey at 10:42" would name the respondent. The token's last-used time still moves.
    """
    g.api_audit_withheld = True


def current_api_token() -> ApiToken | None:
    """The token of this API request, if it carried a valid one."""
    return g.get("api_token")


def request_token_text() -> str:
    """The token the request carries in its Authorization header, or an empty string."""
    header = request.headers.get("Authorization", "")
    return header[len(BEARER) :].strip() if header.lower().startswith(BEARER) else ""


def authenticate_api_request() -> None:
    """Before every API request: the token names the account, and the session cookie is ignored.

    Then the route's declared level and scope are checked, before anything else of the route runs.

    Flask-Login's ``current_user`` is set to the token's account for this request only (or to an
    anonymous visitor), so the core's services and templates see who acts, and no session is written.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    level = getattr(view, ACCESS_ATTRIBUTE, None)
    if level == PUBLIC or (not is_api_request() and not hasattr(view, SCOPE_ATTRIBUTE)):
        return  # the API's description is everyone's: the page around it may still greet a signed-in person
    token = find_active_token(request_token_text()) if request_token_text() else None
    g.api_token = token
    user = db.session.get(User, token.user_id) if token is not None else None
    g._login_user = user if user is not None else AnonymousUserMixin()  # Flask-Login's per-request user
    if level is not None and hasattr(view, SCOPE_ATTRIBUTE):
        _check(level, getattr(view, SCOPE_ATTRIBUTE))


def rate_limit_key() -> str:
    """Each token has its own allowance; requests without one share their address's."""
    text = request_token_text()
    if text.startswith("ptk_"):
        return f"api-token:{text[4:16]}"
    return f"api-address:{request.remote_addr}"


def rate_limit() -> str:
    return current_app.config["PORTAL_API_RATE_LIMIT"]


def install_api_access(app: Flask) -> None:
    """Authenticate API requests before any other view code runs."""
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate_api_request)


def scope_areas(staff: bool = True, admin: bool = True) -> list[str]:
    """The areas a token can be given scopes in: the core's, then each enabled plugin with API routes
    or with CSV import or export kinds (portal.transfers), which the API's transfer routes need.

    ``staff=False`` leaves out the areas only staff routes are in, for a customer's tokens page, and
    ``admin=False`` those only administrators' routes are in, for an agent's.
    """
    host = plugin_host()
    plugins = sorted(
        {owner for name, owner in host.blueprint_owner.items() if name in _api_blueprint_names()}
        | plugin_areas()
    )
    core = [
        *CORE_SCOPE_AREAS,
        *(STAFF_SCOPE_AREAS if staff else ()),
        *(ADMIN_SCOPE_AREAS if staff and admin else ()),
    ]
    return [*core, *(name for name in plugins if host.is_enabled(name))]


def is_read_only(area: str, staff: bool) -> bool:
    """Whether every route of ``area`` that a token of this kind of account may call only reads."""
    return area in READ_ONLY_AREAS or (not staff and area in READ_ONLY_FOR_CUSTOMERS)


def _api_blueprint_names() -> set[str]:
    return set(current_app.extensions["flask-smorest"]["blp_name_to_api"])
