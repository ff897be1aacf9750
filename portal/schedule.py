"""Scheduled work: what ``portal tick`` does each time cron or a systemd timer calls it.

A tick first re-dispatches what is due again (jobs lost after a commit or by a dead worker, retries,
event deliveries waiting for a plugin switched on again), then runs each enabled plugin's scheduled
task that is due. A task is claimed by taking the lease on its row in ``portal_schedule_runs`` (the
same lease as a running job's, portal/leases.py), so ticks that overlap, on one machine or several,
run each due task once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import Model, db, utcnow
from portal.jobs import dispatch_ready_jobs, recover_lost_jobs, redispatch_due_jobs, wake_jobs_waiting_for
from portal.leases import RUNNING_LEASE, lease_free, release_lease, take_lease
from portal.metrics import SCHEDULED_FAILURES, SCHEDULED_RUNS
from portal.plugin_manager import PluginError, plugin_host

log = logging.getLogger(__name__)

SCHEDULE_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
SCHEDULE_NAME_MAX = 100
# app.extensions key of the core's own tasks (named ``core.…``), which create_app puts there.
CORE_TASKS_KEY = "portal_core_tasks"


@dataclass(frozen=True)
class ScheduledTask:
    """Work a plugin wants done every so often (close stale tickets, expire points, send reminders).

    ``name`` is ``<plugin>.<what>``; ``function`` takes no arguments and runs at most once per
    ``every`` across all machines, inside a transaction the tick commits when it returns.
    """

    name: str
    every: timedelta
    function: Callable[[], object]  # what it returns is not used


class ScheduleRun(Model):
    """When each scheduled task last started and finished, and who holds it now (the lease)."""

    __tablename__ = "portal_schedule_runs"

    name: Mapped[str] = mapped_column(String(SCHEDULE_NAME_MAX), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column()
    last_finished_at: Mapped[datetime | None] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()


@dataclass
class TickReport:
    """What one tick did, for its output and its exit status."""

    recovered_jobs: int = 0
    woken_jobs: int = 0
    redispatched_jobs: int = 0
    ran: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def scheduled_tasks() -> list[ScheduledTask]:
    """The core's tasks and every enabled plugin's, checked so a bad declaration fails loudly at the tick."""
    tasks: dict[str, ScheduledTask] = {
        item.name: item for item in current_app.extensions.get(CORE_TASKS_KEY, ())
    }
    for plugin, declared in plugin_host().call_each("portal_scheduled_tasks"):
        for item in declared:
            if not isinstance(item, ScheduledTask):
                raise PluginError(f"Plugin {plugin!r} returned {item!r} from portal_scheduled_tasks.")
            if not item.name.startswith(plugin + ".") or len(item.name) > SCHEDULE_NAME_MAX:
                raise PluginError(f"Plugin {plugin!r}: scheduled task names must start with '{plugin}.'.")
            if not SCHEDULE_NAME.match(item.name) or item.every < timedelta(minutes=1):
                raise PluginError(
                    f"Scheduled task {item.name!r}: use a name like '{plugin}.close_stale' "
                    "and run it at most every minute (the tick's own pace)."
                )
            if item.name in tasks:
                raise PluginError(f"Two scheduled tasks are named {item.name!r}.")
            tasks[item.name] = item
    return list(tasks.values())


def run_tick() -> TickReport:
    """One tick: dispatch what is due again, then run each due scheduled task once across all ticks."""
    report = TickReport()
    now = utcnow()
    report.recovered_jobs = recover_lost_jobs(now)
    report.woken_jobs = wake_jobs_waiting_for(plugin_host().enabled(), now)
    report.redispatched_jobs = redispatch_due_jobs(now)
    db.session.commit()
    dispatch_ready_jobs()
    due = scheduled_tasks()
    _ensure_rows([item.name for item in due])
    for item in due:
        if _claim(item):
            (report.ran if _run(item) else report.failed).append(item.name)
    return report


def _ensure_rows(names: list[str]) -> None:
    # INSERT … ON CONFLICT DO NOTHING: a tick running at the same moment may insert the same row.
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for name in names:
        insert = postgresql.insert(ScheduleRun) if postgres else sqlite.insert(ScheduleRun)
        db.session.execute(insert.values(name=name).on_conflict_do_nothing(index_elements=["name"]))
    db.session.commit()


def _claim(item: ScheduledTask) -> bool:
    now = utcnow()
    claimed = take_lease(
        ScheduleRun,
        ScheduleRun.name == item.name,
        lease_free(ScheduleRun.locked_until, now),
        or_(ScheduleRun.last_started_at.is_(None), ScheduleRun.last_started_at <= now - item.every),
        held_until=ScheduleRun.locked_until,
        now=now,
        length=RUNNING_LEASE,
        last_started_at=now,
    )
    db.session.commit()
    return claimed


def _run(item: ScheduledTask) -> bool:
    finished: dict[str, datetime] = {}
    try:
        item.function()
        db.session.commit()
        finished["last_finished_at"] = utcnow()
        SCHEDULED_RUNS.labels(item.name).inc()
    except Exception:
        db.session.rollback()
        SCHEDULED_FAILURES.labels(item.name).inc()
        log.exception("Scheduled task %s failed; it runs again when it is next due.", item.name)
    release_lease(ScheduleRun, ScheduleRun.name == item.name, held_until=ScheduleRun.locked_until, **finished)
    db.session.commit()
    dispatch_ready_jobs()
    return bool(finished)


def last_runs() -> dict[str, ScheduleRun]:
    """Each scheduled task's last start and finish, for the operations page."""
    return {run.name: run for run in db.session.scalars(select(ScheduleRun).order_by(ScheduleRun.name))}
