"""Timing every request, and ``/metrics``: what Prometheus scrapes, behind a bearer token.

The endpoint is off (404) until ``PORTAL_METRICS_TOKEN`` is set, then answers only a request that
sends ``Authorization: Bearer <token>``: error rates, job failures and task names are for the
operator, not for anyone who guesses the path. Like ``/healthz`` it is outside the rate limits (a
scraper asks every few seconds) and sets no cookie.

A scrape builds a registry for that one answer. Without ``PROMETHEUS_MULTIPROC_DIR`` it holds this
process's metrics; with it, the files every process wrote to that folder, added up, so whichever
gunicorn worker answers reports the whole server. Figures the database already knows (jobs waiting,
when each scheduled task last finished) are read at scrape time with one small query each, so they
are right whichever process did the work, ``portal tick`` from cron included.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from flask.signals import got_request_exception, request_finished, request_started
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from portal.access import public
from portal.database import db
from portal.jobs import Job
from portal.metrics import REGISTRY, REQUEST_SECONDS, UNHANDLED_EXCEPTIONS
from portal.schedule import ScheduleRun

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The label of requests no route matched: one series for every unknown path, however many there are.
UNMATCHED = "unmatched"
# Methods a browser or an API client sends; anything else a client makes up is counted as "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STARTED = "portal_metrics_started"

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@public
def metrics() -> Response:
    """Every metric, in the format the scraper asked for; 404 while off, 401 without the right token."""
    token = str(current_app.config["PORTAL_METRICS_TOKEN"] or "").strip()
    if not token:
        abort(404)
    if not _bearer_token_matches(token):
        return Response(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encode(scrape_registry())
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def install_metrics(app: Flask) -> None:
    """Serve ``/metrics`` outside the rate limits and time every request the app answers."""
    app.register_blueprint(bp)
    app.extensions["portal_limiter"].exempt(bp)
    request_started.connect(_start_clock, app)
    request_finished.connect(_observe_request, app)
    got_request_exception.connect(_count_unhandled_exception, app)


def multiprocess_folder() -> str | None:
    """The folder every process writes its metrics to, or ``None`` when each process counts alone."""
    return os.environ.get(MULTIPROCESS_VARIABLE) or None


def scrape_registry() -> CollectorRegistry:
    """What one scrape reports: the processes' counts and the figures the database holds now."""
    registry = CollectorRegistry()
    folder = multiprocess_folder()
    if folder:
        MultiProcessCollector(registry, path=folder)
    else:
        registry.register(REGISTRY)
    registry.register(DatabaseFigures())
    return registry


class DatabaseFigures:
    """Gauges read from the database at scrape time: jobs waiting by task, scheduled tasks' last success."""

    def collect(self) -> Iterator[Metric]:
        """One grouped count of the queued jobs and one read of the small schedule table."""
        try:
            waiting = db.session.execute(
                select(Job.task, func.count()).where(Job.status == "queued").group_by(Job.task)
            ).all()
            finished = db.session.execute(
                select(ScheduleRun.name, ScheduleRun.last_finished_at).where(
                    ScheduleRun.last_finished_at.is_not(None)
                )
            ).all()
        except SQLAlchemyError:
            log.warning("metrics could not read the jobs and schedule tables", exc_info=True)
            return
        finally:
            db.session.rollback()  # the scrape's transaction ends here, not at teardown
        jobs = GaugeMetricFamily(
            "portal_jobs_waiting",
            "Jobs queued and not yet done (due, retrying or waiting for a plugin).",
            labels=["task"],
        )
        for task, count in waiting:
            jobs.add_metric([task], count)
        yield jobs
        last = GaugeMetricFamily(
            "portal_scheduled_task_last_success_timestamp_seconds",
            "When each scheduled task last finished without an error (Unix time).",
            labels=["task"],
        )
        for name, at in finished:
            last.add_metric([name], _as_timestamp(at))
        yield last


def _bearer_token_matches(token: str) -> bool:
    scheme, _space, offered = request.headers.get("Authorization", "").partition(" ")
    # Compared in constant time, as bytes: the time taken says nothing about how much of it was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode())


def _start_clock(_app: Flask, **_extra: Any) -> None:
    setattr(g, _STARTED, time.perf_counter())


def _observe_request(_app: Flask, response: Response, **_extra: Any) -> None:
    started: float | None = g.pop(_STARTED, None)
    if started is None:
        return
    status = f"{response.status_code // 100}xx"
    REQUEST_SECONDS.labels(_endpoint_label(), _method_label(), status).observe(time.perf_counter() - started)


def _count_unhandled_exception(_app: Flask, exception: BaseException, **_extra: Any) -> None:
    UNHANDLED_EXCEPTIONS.labels(_endpoint_label()).inc()


def _endpoint_label() -> str:
    rule = request.url_rule
    return rule.endpoint if rule is not None else UNMATCHED


def _method_label() -> str:
    return request.method if request.method in KNOWN_METHODS else "other"


def _as_timestamp(value: datetime) -> float:
    return value.replace(tzinfo=UTC).timestamp()  # stored as naive UTC (portal.database.utcnow)
