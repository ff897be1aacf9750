"""The API shell: ``/api/v1`` with the core's routes and every plugin's, and its OpenAPI document.

The routes are flask-smorest blueprints. Each route's marshmallow schemas validate what comes in,
shape what goes out and write the route's part of the OpenAPI 3.1 document, so the document cannot
say something the code does not do (docs/api.md says why this library). Plugins add blueprints
through ``portal_api_blueprints``, exactly as they add pages.
"""

from __future__ import annotations

import copy
import threading
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, render_template, request
from flask_limiter import Limiter
from flask_smorest import Api

from portal.api.access import api_access, install_api_access, rate_limit, rate_limit_key
from portal.api.blueprint import ApiBlueprint
from portal.api.core_routes import account_api, notifications_api
from portal.api.customer_routes import customers_api
from portal.api.event_routes import events_api
from portal.api.organization_routes import organizations_api
from portal.api.problems import PROBLEM_MEDIA_TYPE, ProblemSchema, is_api_request
from portal.api.segment_routes import segments_api
from portal.api.tokens import note_use
from portal.api.transfer_routes import transfers_api
from portal.api.webhook_routes import webhooks_api
from portal.audit import record
from portal.converters import ID_MAX, IdConverter
from portal.database import db
from portal.extensions import csrf
from portal.plugin_manager import plugin_host

API_PREFIX = "/api/v1"
SPEC_KEY = "portal_api"
DESCRIPTION = (
    "The customer portal's REST API. Authenticate with a token from your account's API tokens page "
    "('Authorization: Bearer ptk_…'). Errors are problem details (RFC 9457). Lists are paged with the "
    "cursor in 'next_cursor'. See docs/api.md for a first call, paging and idempotency."
)


class PortalApi(Api):
    """flask-smorest's Api, answering errors as problem details and serving its document itself.

    flask-smorest would handle every HTTP error of the whole app as JSON and serve its document
    without an access declaration; the portal's error pages decide by path instead (HTML for
    pages, problems for ``/api/``), and the document is a declared public route.
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask) -> None:
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._documenting = threading.Lock()
        self._responses_documented = False
        super().__init__(app)

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """Serve the blueprint's routes now and write its part of the document when it is first read.

        Writing the document took a tenth of a second of every ``create_app`` (marshmallow schemas
        turned into JSON Schema, route by route); a worker that is never asked for it, and each of the
        suite's thousands of apps, skip it.
        """
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def documented_spec(self) -> Any:
        """The OpenAPI spec with the error responses and every registered blueprint's routes in it."""
        with self._documenting:
            if not self._responses_documented:
                self._document_responses()
                self._responses_documented = True
            while self._undocumented:
                blp, name, parameters = self._undocumented.pop(0)
                blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
                self.spec.tag({"name": name, "description": blp.description})
        return self.spec

    def _register_error_handlers(self) -> None:
        return None

    def _register_doc_blueprint(self) -> None:
        return None

    def _register_responses(self) -> None:
        """Left for ``documented_spec``: resolving the problem schema for every status is slow too."""
        return None

    def _document_responses(self) -> None:
        """Every error status flask-smorest documents is a problem, sent as application/problem+json."""
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": "ProblemSchema"}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {
                "description": "A problem: what went wrong and what to do (RFC 9457).",
                "content": {PROBLEM_MEDIA_TYPE: {"schema": "ProblemSchema"}},
            },
        )


# The document and its reference page describe the API; they are not operations of it.
core_api = Blueprint("api", __name__, url_prefix=API_PREFIX)


@core_api.route("/openapi.json")
@api_access("public", None)
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of the routes of the core and of every enabled plugin."""
    return jsonify(published_document(current_app))


@core_api.route("/docs")
@api_access("public", None)
def reference_page() -> str:
    """The document drawn as a browsable reference (Swagger UI, from our own static folder)."""
    return render_template("api/reference.html")


def published_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document without the operations of plugins that are switched off."""
    api: PortalApi = app.extensions[SPEC_KEY]
    document = copy.deepcopy(api.documented_spec().to_dict())
    host = plugin_host(app)
    hidden = {name for name, owner in host.blueprint_owner.items() if not host.is_enabled(owner)}
    for path, operations in list(document.get("paths", {}).items()):
        for method, operation in list(operations.items()):
            if isinstance(operation, dict) and hidden & set(operation.get("tags", [])):
                del operations[method]
        if not any(isinstance(each, dict) and "responses" in each for each in operations.values()):
            del document["paths"][path]
    return document


def install_api(app: Flask, limiter: Limiter) -> None:
    """Serve ``/api/v1``: the core's routes, every installed plugin's, a rate limit per token, audit."""
    app.config.update(
        API_TITLE=f"{app.config['PORTAL_NAME']} API",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "servers": [{"url": "/"}],
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )
    api = PortalApi(app)
    api.register_converter(IdConverter, _id_parameter)
    app.extensions[SPEC_KEY] = api
    install_api_access(app)
    limited = limiter.limit(rate_limit, key_func=rate_limit_key)
    app.register_blueprint(core_api)
    blueprints: list[ApiBlueprint] = [
        account_api,
        notifications_api,
        customers_api,
        organizations_api,
        segments_api,
        events_api,
        webhooks_api,
        transfers_api,
    ]
    blueprints.extend(plugin_host(app).api_blueprints())
    for blueprint in blueprints:
        csrf.exempt(blueprint)  # bearer tokens, never cookies: see portal.api.access
        limited(blueprint)
        api.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))
    app.after_request(_audit_use)


def _id_parameter(converter: IdConverter) -> dict[str, Any]:
    """An id in a path is a whole number the database can hold: anything else is not found."""
    return {"type": "integer", "minimum": converter.min, "maximum": converter.max or ID_MAX}


def _audit_use(response: Response) -> Response:
    """Every request made with a token is audited and moves its last-used time, whatever it answered.

    Committed on its own: the view has committed its work or left nothing to keep.
    """
    token = g.get("api_token")
    if token is None or not is_api_request():
        return response
    db.session.rollback()
    if not g.get("api_audit_withheld"):
        record(
            "api_request",
            token.user_id,
            token=token.prefix,
            method=request.method,
            path=request.path[:200],
            status=response.status_code,
        )
    note_use(token, request.remote_addr)
    db.session.commit()
    return response
