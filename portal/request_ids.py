"""One id per request, in every log line it causes and in the jobs it queues, and logs as JSON on request.

When a customer reports "it failed at 10:42", the operator needs every line that request wrote, and
those of the mail job it queued, which ran a minute later in a worker. The id comes from the proxy's
``X-Request-ID`` when it sent a sane one (so nginx's and the portal's logs join up), else it is made
here; it goes back in the response header, onto each log record, and into each job the request
queues, where the worker takes it up again. ``PORTAL_LOG_FORMAT=json`` writes one JSON object a line,
for a log collector; the default is readable text, with the id in brackets (``-`` outside a request).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request
from werkzeug.wrappers import Response

HEADER = "X-Request-ID"
REQUEST_ID_MAX = 64
LOG_FORMATS = ("text", "json")
# What a proxy may hand us: enough for a UUID or nginx's $request_id, nothing to smuggle into a log line.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str | None] = ContextVar("portal_request_id", default=None)
_RESET_KEY = "portal_request_id_reset"
_HANDLER_NAME = "portal-json"
_TEXT_HANDLER_NAME = "portal-text"
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
NO_REQUEST_ID = "-"


def current_request_id() -> str | None:
    """The id of the request or job being handled now; ``None`` outside both (a tick, the shell)."""
    return _current.get()


@contextmanager
def bound_request_id(value: str | None) -> Iterator[None]:
    """Carry ``value`` as the current id inside the block: a worker running a job a request queued."""
    token = _current.set(value)
    try:
        yield
    finally:
        _current.reset(token)


def install_request_ids(app: Flask) -> None:
    """Give each request its id, answer with it, and format logs as the deployment asked."""
    app.before_request(_start)
    app.after_request(_answer)
    app.teardown_request(_end)
    if app.config["PORTAL_LOG_FORMAT"] == "json":
        use_json_logs()
    else:
        use_text_logs()


def use_json_logs() -> None:
    """Send the root logger's records to stderr as JSON lines; done once per process."""
    root = logging.getLogger()
    if any(handler.get_name() == _HANDLER_NAME for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    _log_from_info_up(root)


def use_text_logs() -> None:
    """Send the root logger's records to stderr as text lines with the request id, unless logging is set up.

    Done once per process, and only while the root logger has no handler at all: a deployment's own
    logging configuration (gunicorn's ``--log-config``, a test runner's capture) is left as it is.
    Such a configuration can still write the id: give its handlers ``RequestIdFilter`` and put
    ``%(request_id)s`` in its format.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_TEXT_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    _log_from_info_up(root)


def _log_from_info_up(root: logging.Logger) -> None:
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


class RequestIdFilter(logging.Filter):
    """Put the current request's or job's id on every record as ``request_id`` (``-`` outside both).

    A filter on a handler, so records of every logger that reach it get the id, plugins' included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the id and let the record through."""
        record.request_id = current_request_id() or NO_REQUEST_ID
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _start() -> None:
    offered = request.headers.get(HEADER, "")
    value = offered if _SANE.fullmatch(offered) else uuid.uuid4().hex
    setattr(g, _RESET_KEY, _current.set(value))


def _answer(response: Response) -> Response:
    value = current_request_id()
    if value:
        response.headers[HEADER] = value
    return response


def _end(_error: BaseException | None) -> None:
    token: Token[str | None] | None = g.pop(_RESET_KEY, None)
    if token is not None:
        _current.reset(token)
