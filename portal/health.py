"""Whether this process answers (``/healthz``) and whether it can serve customers (``/readyz``).

A load balancer or an orchestrator asks every few seconds, without signing in. The answers are JSON
with no session and no cookie, are not counted by the rate limiter, and name what is wrong without
saying where it lives (the log says that): the endpoints are public, the addresses of the database and
Redis are not. ``/healthz`` touches nothing, so a slow database does not get a healthy process
restarted; ``/readyz`` asks the database, Redis when configured, and the file storage, so traffic goes
elsewhere until they answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from werkzeug.wrappers import Response

from portal.access import public
from portal.database import db
from portal.storage import storage

OK, FAILING, NOT_CONFIGURED = "ok", "failing", "not configured"
# A probe that waits longer than the balancer's own timeout tells it nothing.
PROBE_TIMEOUT_SECONDS = 2
_REDIS_CLIENT = "portal_health_redis"

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> Response:
    """The process is up and answering requests; nothing else is asked."""
    return jsonify(status=OK)


@bp.get("/readyz")
@public
def readyz() -> tuple[Response, int]:
    """Each service the portal needs, ``ok`` or ``failing``; 503 while any one fails."""
    checks = {name: _run(name, probe) for name, probe in _probes(current_app).items()}
    ready = FAILING not in checks.values()
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def install_health_checks(app: Flask, limiter: Any) -> None:
    """Serve the two endpoints, outside the rate limits a busy balancer would otherwise exhaust."""
    app.register_blueprint(bp)
    limiter.exempt(bp)


def _probes(app: Flask) -> dict[str, Callable[[], str]]:
    redis = _redis if app.config["PORTAL_REDIS_URL"] else _absent
    return {"database": _database, "redis": redis, "storage": _storage}


def _run(name: str, probe: Callable[[], str]) -> str:
    try:
        return probe()
    # Whatever a driver raises, the service is not usable; the log keeps the cause for the operator.
    except Exception:
        logger.warning("readiness check %s failed", name, exc_info=True)
        return FAILING


def _database() -> str:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()  # the probe's transaction ends here, not at teardown
    return OK


def _redis() -> str:
    client = current_app.extensions.get(_REDIS_CLIENT)
    if client is None:
        # redis comes with the redis extra, which load_config required once PORTAL_REDIS_URL is set.
        from redis import Redis

        client = current_app.extensions[_REDIS_CLIENT] = Redis.from_url(
            current_app.config["PORTAL_REDIS_URL"],
            socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
            socket_timeout=PROBE_TIMEOUT_SECONDS,
        )
    client.ping()
    return OK


def _storage() -> str:
    storage().check_ready()
    return OK


def _absent() -> str:
    return NOT_CONFIGURED
