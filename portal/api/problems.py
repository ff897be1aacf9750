"""Errors of the API as problem details (RFC 9457): one JSON shape an integrator can act on.

Every refusal of a route under ``/api/`` answers ``application/problem+json`` with ``type``,
``title``, ``status`` and ``detail``, and for invalid input ``errors``: each field's messages, so a
client can show them next to what its user typed. The HTML error pages stay for everything else.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, NoReturn

import marshmallow as ma
from flask import Response, json, request
from werkzeug.exceptions import HTTPException, default_exceptions

API_PREFIX = "/api/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
# RFC 9457's type for a problem that its status and title explain fully (docs/api.md lists them).
PLAIN_PROBLEM = "about:blank"

# What a status means to a client, and what it can do about it.
DETAILS = {
    400: "The request could not be read. Send JSON with the Content-Type application/json.",
    401: "Send a valid, unexpired token in the Authorization header: 'Bearer <token>'.",
    403: "This token may not do that: its account's role or its scopes do not allow it.",
    404: "There is nothing at this address that this token may see.",
    405: "This address does not take that method; the OpenAPI document lists the ones it takes.",
    409: "The request conflicts with the current state; read the resource again and retry.",
    413: "The request body is too large.",
    415: "Send the body as application/json.",
    422: "Some fields are not valid; 'errors' names each one and says why.",
    429: "Too many requests with this token; wait for the seconds in Retry-After, then retry.",
    500: "Something went wrong on our side; nothing was changed. Retry in a moment.",
    503: "The portal cannot reach its database; nothing was changed. Retry in a moment.",
}


class ProblemSchema(ma.Schema):
    """A problem details object, as every API error is sent."""

    type = ma.fields.String(metadata={"description": "about:blank: the status and title say what it is."})
    title = ma.fields.String(required=True, metadata={"description": "The status in words."})
    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = ma.fields.String(metadata={"description": "What went wrong and what to do about it."})
    errors = ma.fields.Dict(
        metadata={"description": "For invalid input: each location and field with its messages."}
    )


def is_api_request() -> bool:
    """Whether this request is for the API, which answers problems, not HTML error pages."""
    return request.path.startswith(API_PREFIX)


def problem(status: int, detail: str | None = None, *, errors: Any = None, title: str = "") -> Response:
    """A problem details response for ``status``."""
    body: dict[str, Any] = {
        "type": PLAIN_PROBLEM,
        "title": title or _phrase(status),
        "status": status,
        "detail": detail or DETAILS.get(status, DETAILS[500 if status >= 500 else 400]),
    }
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)


def api_abort(status: int, message: str | None = None, *, errors: Any = None) -> NoReturn:
    """Refuse the request with the problem for ``status``: ``message`` as its detail, field ``errors``.

    Nothing the view did is kept: the API's error handling rolls the transaction back.
    """
    error = default_exceptions[status]()
    setattr(error, "data", {"message": message, "errors": errors})  # noqa: B010  (problem_for reads it)
    raise error


def problem_for(error: HTTPException) -> Response:
    """The problem for an HTTP error raised in or before an API view, with any detail it carries."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    detail = data.get("message")
    errors = data.get("errors") or data.get("messages")
    response = problem(status, detail, errors=errors)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
