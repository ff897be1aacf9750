"""What the portal counts for Prometheus: requests, unhandled errors, jobs, mail, scheduled tasks, events.

The metrics belong to the process, not to an app: like the task registry they are code, defined once
at import on the portal's own registry, and every app in the process counts into them. Under gunicorn
each worker counts its own share; with ``PROMETHEUS_MULTIPROC_DIR`` set before the process starts
(prometheus-client reads it once, at import), every value is written to a file per process in that
folder and the scrape (portal/metrics_web.py) adds up the files of all processes. Labels only ever
take a bounded set of values (endpoint and task names, never a path or an address), so a scanner
asking for a thousand random paths cannot grow the number of series.

Counting something new is one line here, for example
``WEBHOOK_DELIVERIES = counter("webhook_deliveries", "Webhook deliveries, by outcome.", "outcome")``,
and one ``.labels(...).inc()`` where it happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram

PREFIX = "portal_"
REGISTRY = CollectorRegistry(auto_describe=True)

# A web page: 5 ms (a cached answer) to 10 s (well past the point a person gives up).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A job: a few milliseconds (an event handler) to minutes (a large export, a slow mail server).
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


def counter(name: str, documentation: str, *labels: str) -> Counter:
    """A counter ``portal_<name>_total`` on the portal's registry, so a new one is a single line."""
    return Counter(PREFIX + name, documentation, labels, registry=REGISTRY)


def histogram(name: str, documentation: str, *labels: str, buckets: tuple[float, ...]) -> Histogram:
    """A histogram ``portal_<name>`` on the portal's registry, with buckets chosen for what it times."""
    return Histogram(PREFIX + name, documentation, labels, buckets=buckets, registry=REGISTRY)


REQUEST_SECONDS = histogram(
    "http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint ('unmatched': no route), method and status class.",
    "endpoint",
    "method",
    "status",
    buckets=REQUEST_BUCKETS,
)
UNHANDLED_EXCEPTIONS = counter(
    "http_unhandled_exceptions", "Requests that raised an error no handler caught (answered 500).", "endpoint"
)

JOB_SECONDS = histogram(
    "job_duration_seconds", "Time one attempt of a job took, by task.", "task", buckets=JOB_BUCKETS
)
JOBS_RUN = counter("jobs_run", "Attempts at a job, by task.", "task")
JOBS_RETRIED = counter("jobs_retried", "Failed attempts after which the job is tried again, by task.", "task")
JOBS_FAILED = counter(
    "jobs_failed", "Jobs that failed their last attempt and wait for an administrator, by task.", "task"
)

MAIL_SENT = counter("mail_sent", "Mail handed to the mail server or written to instance/mail.", "transport")
MAIL_FAILED = counter("mail_failed", "Mail that could not be handed over (its job retries).", "transport")

SCHEDULED_RUNS = counter("scheduled_task_runs", "Runs of a scheduled task that finished, by task.", "task")
SCHEDULED_FAILURES = counter(
    "scheduled_task_failures", "Runs of a scheduled task that failed, by task.", "task"
)

EVENT_HANDLER_FAILURES = counter(
    "event_handler_failures", "Times a plugin's event handler raised (the delivery is retried).", "plugin"
)
WEBHOOK_ATTEMPTS = counter(
    "webhook_attempts",
    "Requests to webhook receivers, by outcome: delivered (2xx), refused (another status), unreachable.",
    "outcome",
)


def count_job(task: str, status: str | None, seconds: float) -> None:
    """Count one attempt at a job by the status it left the job in.

    ``done`` succeeded, ``queued`` failed and waits for its next try, ``failed`` gave up; ``None`` is
    an attempt that did not count (the job waits for a plugin to be switched on, or was deleted).
    """
    if status is None:
        return
    JOBS_RUN.labels(task).inc()
    JOB_SECONDS.labels(task).observe(seconds)
    if status == "queued":
        JOBS_RETRIED.labels(task).inc()
    elif status == "failed":
        JOBS_FAILED.labels(task).inc()


@contextmanager
def counting_mail(transport: str) -> Iterator[None]:
    """Count the mail handed over inside the block as sent, or as failed when the block raises."""
    try:
        yield
    except Exception:
        MAIL_FAILED.labels(transport).inc()
        raise
    MAIL_SENT.labels(transport).inc()
