"""Work that runs later: a table of jobs, a registry of task functions, and dispatch after the commit.

A job is a row in ``portal_jobs`` added in the caller's transaction, so work is promised only when the
change that asked for it commits. After the commit the job is dispatched: by default it runs in the
same process once the request (or app context) ends; with ``PORTAL_REDIS_URL`` its id goes to an RQ
queue and ``portal worker`` runs it. Either way a job is claimed with one conditional UPDATE (a lease,
portal/leases.py), so a job dispatched twice runs once. A job that raises is retried with backoff
(``portal tick`` dispatches it again) and after its last attempt it waits, failed, for an
administrator. Event deliveries are jobs too (``core.deliver_event``), so ``RETRY_POLICY`` is the one
retry policy of all background work.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy import JSON, CheckConstraint, String, Text, and_, event, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.database import Model, db, rows_matched, utcnow
from portal.leases import RUNNING_LEASE, lease_free, lease_lost, release_lease, take_lease
from portal.metrics import count_job
from portal.request_ids import REQUEST_ID_MAX, bound_request_id, current_request_id

if TYPE_CHECKING:
    from rq import Queue, SimpleWorker

log = logging.getLogger(__name__)

TASK_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
TASK_NAME_MAX = 200
ARGUMENTS_MAX_BYTES = 64 * 1024
PLUGIN_NAME_MAX = 64
# A dispatched job that has not started by then is taken as lost (a crash after the commit, Redis
# down) and ``portal tick`` dispatches it again; the claim makes a second dispatch harmless.
DISPATCH_LEASE = timedelta(minutes=5)
# A worker whose clock runs a little behind the web server's still takes a job queued just now.
CLOCK_SKEW = timedelta(seconds=30)
# In-process dispatch runs at most this many jobs at the end of one unit of work (jobs queued by
# jobs included), so events that set each other off cannot hold a request forever.
DISPATCH_BATCH = 100
DEFAULT_QUEUE = "portal"
LOST_MESSAGE = "The process running this job stopped before it finished (its lease ran out)."

JOB_STATUSES = ("queued", "running", "done", "failed")
_PENDING = "portal_jobs_pending"  # job ids added in the open transaction: dropped if it does not commit
_READY = "portal_jobs_ready"  # job ids whose transaction committed: to run or hand to RQ

TaskFunction = TypeVar("TaskFunction", bound=Callable[..., Any])


@dataclass(frozen=True)
class RetryPolicy:
    """How often failing work is tried and how long it waits in between: one policy for all background work.

    Waits double from ``base`` up to ``cap``, so a broken service is not hammered and an outage of a
    working day (mail server, a plugin's remote API) is bridged before anything gives up.
    """

    max_attempts: int
    base: timedelta
    cap: timedelta

    def delay(self, attempt: int) -> timedelta:
        """How long to wait after failed attempt number ``attempt`` (1 for the first) before the next."""
        return min(self.base * 2 ** max(attempt - 1, 0), self.cap)


# 10 tries, waiting 1, 2, 4 … 256 minutes: about eight and a half hours from first to last.
RETRY_POLICY = RetryPolicy(max_attempts=10, base=timedelta(minutes=1), cap=timedelta(hours=6))


class PluginSwitchedOffError(Exception):
    """Raised by a task whose work belongs to a plugin that is switched off: the job waits for it.

    The job does not use up an attempt; ``portal tick`` queues it again once an administrator
    switches the plugin back on.
    """

    def __init__(self, plugin: str) -> None:
        super().__init__(f"The plugin {plugin!r} is switched off.")
        self.plugin = plugin


@dataclass(frozen=True)
class Task:
    """A registered task: the function a job names, and how often a failing job of it is tried."""

    name: str
    function: Callable[..., Any]
    max_attempts: int


# Task functions by name. This is a registry of code (filled as modules are imported, like click
# commands), not app state: two apps in one process run the same code.
_TASKS: dict[str, Task] = {}


class Job(Model):
    """One piece of work to run later: which task, with what arguments, and how it went."""

    __tablename__ = "portal_jobs"
    __table_args__ = (CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(TASK_NAME_MAX))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=RETRY_POLICY.max_attempts)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    # The plugin this job waits for (see PluginSwitchedOffError); set, the job is not dispatched.
    waiting_for: Mapped[str | None] = mapped_column(String(PLUGIN_NAME_MAX), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # The request that queued the job (core_0012): the worker logs under the same id.
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_MAX))


def check_name(name: str, kind: str, limit: int, pattern: re.Pattern[str]) -> None:
    """Refuse a malformed task or event name at once, where the author can see it, not in a worker."""
    if not isinstance(name, str) or len(name) > limit or not pattern.match(name):
        raise ValueError(
            f"{name!r} is not a valid {kind} name: use lowercase words joined by dots, "
            f"starting with the plugin's name (for example 'tickets.resolved'), at most {limit} characters."
        )


def json_copy(value: dict[str, Any], what: str) -> dict[str, Any]:
    """A JSON round trip of ``value``, so every process sees exactly what was stored.

    Fails loudly on anything JSON cannot hold (a date, a model, NaN) or on more than 64 KiB: store ids
    and plain values, and let the receiver read the rest from the database.
    """
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict, not {type(value).__name__}.")
    try:
        text = json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} must be JSON-serialisable (ids, strings, numbers): {error}") from error
    if len(text.encode()) > ARGUMENTS_MAX_BYTES:
        raise ValueError(
            f"{what} is larger than {ARGUMENTS_MAX_BYTES // 1024} KiB; store ids, not documents."
        )
    return json.loads(text)


def describe_error(error: BaseException) -> str:
    """The error as an administrator reads it: one summary line, then the end of the traceback."""
    summary = f"{type(error).__name__}: {error}"[:1000]
    trace = "".join(traceback.format_exception(error))
    return f"{summary}\n\n{trace[-3000:]}"


def task(name: str, max_attempts: int = RETRY_POLICY.max_attempts) -> Callable[[TaskFunction], TaskFunction]:
    """Register a function as the task ``name``, so ``enqueue(name, ...)`` can run it in any process.

    A job names its task instead of pointing at a function, so a job stored today still runs after a
    deploy moved the code. The function is returned unchanged and can still be called directly.
    ``max_attempts`` lets a task give up sooner (or later) than ``RETRY_POLICY``; its waits are the
    policy's all the same.
    """
    check_name(name, "task", TASK_NAME_MAX, TASK_NAME)
    if max_attempts < 1:
        raise ValueError(f"Task {name!r}: max_attempts must be at least 1.")

    def register(function: TaskFunction) -> TaskFunction:
        known = _TASKS.get(name)
        if known is not None and _qualified_name(known.function) != _qualified_name(function):
            raise ValueError(
                f"Two functions claim the task name {name!r}: {_qualified_name(known.function)} "
                f"and {_qualified_name(function)}."
            )
        _TASKS[name] = Task(name=name, function=function, max_attempts=max_attempts)
        return function

    return register


def _qualified_name(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def enqueue(task_name: str, **arguments: Any) -> int:
    """Promise to run the task later with ``arguments``, as part of the caller's transaction.

    The job row is added to ``db.session``; it is dispatched only after that transaction commits and
    forgotten if it rolls back. Arguments must be JSON-serialisable. Returns the job's id.
    """
    known = _TASKS.get(task_name)
    if known is None:
        raise LookupError(
            f"No task named {task_name!r} is registered. Decorate its function with "
            f"@task({task_name!r}) in a module your plugin's __init__ imports."
        )
    now = utcnow()
    job = Job(
        task=task_name,
        arguments=json_copy(arguments, f"The arguments of {task_name}"),
        status="queued",
        attempts=0,
        max_attempts=known.max_attempts,
        run_after=now,
        locked_until=now + DISPATCH_LEASE,
        created_at=now,
        request_id=current_request_id(),
    )
    db.session.add(job)
    db.session.flush()
    _dispatch_after_commit(job.id)
    return job.id


def _dispatch_after_commit(job_id: int) -> None:
    db.session().info.setdefault(_PENDING, []).append(job_id)


@event.listens_for(Session, "after_commit")
def _promote_committed_jobs(session: Session) -> None:
    # Fires for savepoints too; only the outermost commit makes the jobs real. The session must not
    # be used here, so the jobs are only noted; they run when the unit of work ends.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted_jobs(session: Session, transaction: Any) -> None:
    # After a commit the list is already empty; after a rollback or close the jobs never existed.
    # (A job from a savepoint rolled back inside a committed transaction is still dispatched, finds
    # no row to claim and does nothing.)
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def init_jobs(app: Flask) -> None:
    """Dispatch committed jobs when each request or app context ends.

    Registered after ``db.init_app``: Flask runs teardowns in reverse order, so the session is still
    usable here. A teardown runs after the request context is gone, so an in-process job cannot
    lean on ``request`` or ``current_user`` and behaves as it will under ``portal worker``.
    """
    app.teardown_appcontext(_dispatch_at_teardown)


def _dispatch_at_teardown(_error: BaseException | None) -> None:
    try:
        dispatch_ready_jobs()
    except Exception:
        log.exception("Dispatching jobs failed; 'portal tick' dispatches them again later.")


def dispatch_ready_jobs() -> None:
    """Run, or hand to the RQ queue, the jobs whose transactions have committed.

    In-process, each job runs in turn and jobs that jobs queue run too (up to ``DISPATCH_BATCH``).
    Call it with no transaction of your own open: anything uncommitted is rolled back first, so a
    job never commits work its caller chose not to.
    """
    if not db.session.registry.has():
        return
    session = db.session()
    if not session.info.get(_READY):
        return
    if current_app.config["PORTAL_REDIS_URL"]:
        _push_to_queue(session.info.pop(_READY))
        return
    session.rollback()
    for _ in range(DISPATCH_BATCH):
        ready = session.info.get(_READY)
        if not ready:
            return
        run_job(ready.pop(0))
    left = session.info.pop(_READY, [])
    if left:
        log.warning("%d jobs left for 'portal tick' after running %d in one go.", len(left), DISPATCH_BATCH)


def job_queue(app: Flask) -> Queue:
    """The app's RQ queue (``PORTAL_JOB_QUEUE``, default ``portal``) on one Redis connection pool per app.

    redis and rq come with the redis extra, imported only here: an app without PORTAL_REDIS_URL never
    asks for a queue, and load_config has checked the extra for one with it.
    """
    from redis import Redis
    from rq import Queue

    connection = app.extensions.get("portal_job_redis")
    if connection is None:
        connection = app.extensions["portal_job_redis"] = Redis.from_url(app.config["PORTAL_REDIS_URL"])
    return Queue(app.config.get("PORTAL_JOB_QUEUE") or DEFAULT_QUEUE, connection=connection)


def job_worker(app: Flask) -> SimpleWorker:
    """The worker ``portal worker`` runs: an RQ SimpleWorker on the app's queue, running each job in this
    process, inside the app built once at start, so no job pays for building the app or forking."""
    from rq import SimpleWorker

    queue = job_queue(app)
    return SimpleWorker([queue], connection=queue.connection)


def _push_to_queue(job_ids: list[int]) -> None:
    from redis.exceptions import RedisError

    queue = job_queue(current_app)
    for position, job_id in enumerate(job_ids):
        try:
            queue.enqueue(
                run_queued_job,
                job_id,
                job_timeout=int(RUNNING_LEASE.total_seconds()),
                result_ttl=0,
                description=f"portal job {job_id}",
            )
        except RedisError:
            log.exception(
                "Redis refused %d jobs; 'portal tick' dispatches them again.", len(job_ids) - position
            )
            return


def run_queued_job(job_id: int) -> None:
    """RQ's entry point: run one portal job in a fresh app context of the worker's app.

    ``portal worker`` runs RQ inside the app it built once, so each job gets its own database session
    and, when it ends, the jobs it queued are handed on.
    """
    if not has_app_context():
        raise RuntimeError(
            "Portal jobs run under 'portal worker', which provides the app; 'rq worker' does not."
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        run_job(job_id)


def run_job(job_id: int) -> None:
    """Run the job once if it is queued and due; a job that is done, running elsewhere or gone is left alone.

    The claim is one conditional UPDATE, so two processes given the same job cannot both run it. A
    task may commit its own work; whatever it leaves uncommitted commits with the "done" mark.
    """
    now = utcnow()
    claimed = take_lease(
        Job,
        Job.id == job_id,
        Job.status == "queued",
        Job.waiting_for.is_(None),
        Job.run_after <= now + CLOCK_SKEW,
        held_until=Job.locked_until,
        now=now,
        length=RUNNING_LEASE,
        status="running",
        attempts=Job.attempts + 1,
    )
    db.session.commit()
    if not claimed:
        return
    task_name, arguments, attempt, request_id = db.session.execute(
        select(Job.task, Job.arguments, Job.attempts, Job.request_id).where(Job.id == job_id)
    ).one()
    started = time.perf_counter()
    with bound_request_id(request_id):
        status = _run_claimed(job_id, task_name, arguments, attempt)
    count_job(task_name, status, time.perf_counter() - started)


def _run_claimed(job_id: int, task_name: str, arguments: dict[str, Any], attempt: int) -> str | None:
    """Run the claimed attempt; the job's status after it, or ``None`` when the attempt did not count."""
    mine = (Job.id == job_id, Job.status == "running", Job.attempts == attempt)
    try:
        known = _TASKS.get(task_name)
        if known is None:
            raise LookupError(f"No task named {task_name!r} is registered in this process.")
        known.function(**arguments)
        release_lease(Job, *mine, held_until=Job.locked_until, status="done", finished_at=utcnow())
        db.session.commit()
        return "done"
    except PluginSwitchedOffError as switched_off:
        db.session.rollback()
        values = {"status": "queued", "attempts": attempt - 1, "waiting_for": switched_off.plugin}
        release_lease(Job, *mine, held_until=Job.locked_until, **values)
        db.session.commit()
        return None
    except Exception as error:
        db.session.rollback()
        log.exception("Job %s (%s) failed on attempt %s.", job_id, task_name, attempt)
        return _record_failure(job_id, attempt, describe_error(error))


def _record_failure(job_id: int, attempt: int, error_text: str) -> str | None:
    row = db.session.execute(select(Job.max_attempts).where(Job.id == job_id)).one_or_none()
    if row is None:
        return None
    now = utcnow()
    if attempt >= row.max_attempts:
        outcome: dict[str, Any] = {"status": "failed", "finished_at": now}
    else:
        outcome = {"status": "queued", "run_after": now + RETRY_POLICY.delay(attempt)}
    mine = (Job.id == job_id, Job.status == "running", Job.attempts == attempt)
    release_lease(Job, *mine, held_until=Job.locked_until, last_error=error_text, **outcome)
    db.session.commit()
    return str(outcome["status"])


# --- What ``portal tick`` and administrators do --------------------------------------------------


def recover_lost_jobs(now: datetime) -> int:
    """Queue again the jobs whose worker died mid-run (their running lease ran out); count them.

    A job that has used all its attempts is marked failed instead, for an administrator to see.
    """
    lost = and_(Job.status == "running", lease_lost(Job.locked_until, now))
    gave_up = rows_matched(
        update(Job)
        .where(lost, Job.attempts >= Job.max_attempts)
        .values(status="failed", finished_at=now, locked_until=None, last_error=LOST_MESSAGE)
        .execution_options(synchronize_session=False)
    )
    requeued = rows_matched(
        update(Job)
        .where(lost)
        .values(status="queued", run_after=now, locked_until=None, last_error=LOST_MESSAGE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return gave_up + requeued


def redispatch_due_jobs(now: datetime, limit: int = 1000) -> int:
    """Dispatch again the queued jobs that are due and not already out: retries, and jobs lost after commit.

    Each job is taken with a conditional UPDATE of its dispatch lease, so two ticks at once dispatch it
    once. The caller commits; the jobs go out after that commit.
    """
    due = and_(
        Job.status == "queued",
        Job.waiting_for.is_(None),
        Job.run_after <= now,
        lease_free(Job.locked_until, now),
    )
    job_ids = db.session.scalars(select(Job.id).where(due).order_by(Job.id).limit(limit)).all()
    dispatched = 0
    for job_id in job_ids:
        if take_lease(
            Job, Job.id == job_id, due, held_until=Job.locked_until, now=now, length=DISPATCH_LEASE
        ):
            _dispatch_after_commit(job_id)
            dispatched += 1
    return dispatched


def wake_jobs_waiting_for(plugins: frozenset[str], now: datetime) -> int:
    """Make the jobs waiting for any of ``plugins`` (now switched on) due again; count them.

    ``redispatch_due_jobs`` sends them out. The caller commits.
    """
    if not plugins:
        return 0
    return rows_matched(
        update(Job)
        .where(Job.status == "queued", Job.waiting_for.in_(sorted(plugins)))
        .values(waiting_for=None, run_after=now, locked_until=None)
        .execution_options(synchronize_session=False)
    )


def run_job_now(job_id: int) -> bool:
    """Run a queued or failed job here and now, whatever its backoff; ``False`` if running, done or gone.

    For an operator replaying work after an outage or a fix. A failed job gets one more attempt.
    """
    now = utcnow()
    ready = rows_matched(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(("queued", "failed")))
        .values(status="queued", run_after=now, waiting_for=None, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if ready:
        run_job(job_id)
    return bool(ready)


def retry_job(job_id: int) -> bool:
    """An administrator's "try again now" for a failed job or one waiting for a retry; ``False`` if neither.

    The attempt count goes on, so a job that fails again is failed again at once. The caller commits.
    """
    now = utcnow()
    retried = rows_matched(
        update(Job)
        .where(Job.id == job_id, _troubled())
        .values(
            status="queued",
            run_after=now,
            locked_until=now + DISPATCH_LEASE,
            finished_at=None,
            waiting_for=None,
        )
        .execution_options(synchronize_session=False)
    )
    if retried:
        _dispatch_after_commit(job_id)
    return bool(retried)


def _troubled() -> Any:
    """Jobs an administrator should see: failed for good, or queued again after a failure."""
    return or_(Job.status == "failed", and_(Job.status == "queued", Job.attempts > 0))


def troubled_jobs(before: int | None, limit: int) -> list[Job]:
    """Failed and retrying jobs, newest first, ``limit`` at a time from below the id ``before``."""
    query = select(Job).where(_troubled()).order_by(Job.id.desc()).limit(limit)
    if before:
        query = query.where(Job.id < before)
    return list(db.session.scalars(query))
