"""The commands that keep background work moving: ``portal worker``, ``portal tick``, ``portal events``
and ``portal jobs``. docs/operations.md says how to run them under systemd and cron.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from portal.database import db
from portal.event_reference import render_event_reference
from portal.event_types import CORE, declared_events, in_package
from portal.events import deliveries_of_jobs, replay_undelivered
from portal.jobs import Job, dispatch_ready_jobs, job_queue, job_worker, retry_job, troubled_jobs
from portal.plugin_manager import PluginError, plugin_host
from portal.schedule import run_tick
from portal.service_checks import ServiceUnreachableError, check_database, check_redis

LIST_PAGE_SIZE = 50
# The package of the plugins that ship with the portal, whose events docs/events.md describes.
BUILT_IN_PACKAGE = "plugins"


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run background jobs from Redis (needs PORTAL_REDIS_URL); run one or more under systemd."""
    _check(check_database)
    if not current_app.config["PORTAL_REDIS_URL"]:
        raise click.ClickException(
            "PORTAL_REDIS_URL is not set: without Redis, jobs run inside the web process "
            "and no worker is needed."
        )
    _check(check_redis)
    queue_worker = job_worker(current_app)
    names = ", ".join(repr(name) for name in queue_worker.queue_names())
    click.echo(f"Working on the queue {names}{' until it is empty' if burst else ''}.")
    queue_worker.work(burst=burst, logging_level="INFO")


@click.command("tick")
@with_appcontext
def tick() -> None:
    """Do the scheduled work that is due; cron or a systemd timer runs this every minute.

    Safe to run twice at once: each piece of work is claimed by exactly one tick.
    """
    _check(check_database)
    _check(check_redis)
    try:
        report = run_tick()
    except PluginError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Recovered {report.recovered_jobs} lost jobs; woke {report.woken_jobs} jobs whose plugin is on "
        f"again; dispatched {report.redispatched_jobs} jobs again."
    )
    for name in report.ran:
        click.echo(f"Ran {name}.")
    if current_app.config["PORTAL_REDIS_URL"]:
        from rq import SimpleWorker  # the redis extra, present once PORTAL_REDIS_URL is set

        queue = job_queue(current_app)
        if not SimpleWorker.count(queue=queue):
            click.echo(f"Warning: no 'portal worker' is working on the queue {queue.name!r}.", err=True)
    if report.failed:
        raise click.ClickException("These scheduled tasks failed (see the log): " + ", ".join(report.failed))


def _check(service_check: Callable[[Flask], None]) -> None:
    """Stop the command with one line naming the service and its setting, not a traceback."""
    try:
        service_check(current_app)
    except ServiceUnreachableError as error:
        raise click.ClickException(str(error)) from error


@click.group("events")
def events_group() -> None:
    """Deliver stored events by hand."""


@events_group.command("replay")
@with_appcontext
def replay() -> None:
    """Deliver now every event delivery not yet delivered, failed ones included (after an outage or a fix)."""
    report = replay_undelivered()
    dispatch_ready_jobs()
    click.echo(
        f"Delivered {report.delivered}; failed {report.failed}; "
        f"{report.waiting} wait for plugins that are switched off."
    )
    if report.failed:
        raise click.ClickException("Some deliveries failed again; /staff/operations shows their errors.")


@events_group.command("reference")
@click.option(
    "--plugin",
    "plugins",
    multiple=True,
    help="Only the events of this plugin ('core' for the core's); repeat for more. "
    "Default: the core and the built-in plugins, as in docs/events.md.",
)
@with_appcontext
def reference(plugins: tuple[str, ...]) -> None:
    """Print the event reference in Markdown, written from the declarations (docs/events.md)."""
    types = declared_events()
    owners = plugins or [
        owner
        for owner in types.owners()
        if owner == CORE or in_package(plugin_host().installed[owner].module.__name__, BUILT_IN_PACKAGE)
    ]
    click.echo(render_event_reference(types, owners), nl=False)


@click.group("jobs")
def jobs_group() -> None:
    """Look at failed jobs and run them again."""


@jobs_group.command("list-failed")
@click.option("--before", type=int, help="Show jobs older than this id (the next page).")
@with_appcontext
def list_failed(before: int | None) -> None:
    """List failed jobs, event deliveries included, and those waiting for a retry, newest first.

    The same list as /staff/operations, so an operator in a shell sees every piece of background work
    that went wrong; ``portal jobs retry ID`` and ``portal events replay`` run them again.
    """
    jobs = troubled_jobs(before, LIST_PAGE_SIZE + 1)
    if not jobs:
        click.echo("No failed jobs.")
    shown = jobs[:LIST_PAGE_SIZE]
    deliveries = deliveries_of_jobs([job.id for job in shown])
    for job in shown:
        delivery = deliveries.get(job.id)
        what = f"{delivery.event.name} -> {delivery.plugin}" if delivery else job.task
        if job.status == "failed":
            state = "failed"
        elif job.waiting_for:
            state = f"waits for the plugin {job.waiting_for}"
        else:
            state = f"retry after {job.run_after:%Y-%m-%d %H:%M} UTC"
        click.echo(
            f"{job.id:>8}  {what:<40} {job.attempts}/{job.max_attempts}  {state}  {_summary(job.last_error)}"
        )
    if len(jobs) > LIST_PAGE_SIZE:
        click.echo(f"More: portal jobs list-failed --before {jobs[LIST_PAGE_SIZE - 1].id}")


def _summary(error: str | None) -> str:
    """The first line of a stored error, which names the exception and its message."""
    return error.splitlines()[0] if error else ""


@jobs_group.command("retry")
@click.argument("job_id", type=int)
@with_appcontext
def retry(job_id: int) -> None:
    """Run a failed job (or one waiting for a retry) again now."""
    if not retry_job(job_id):
        raise click.ClickException(f"Job {job_id} is not failed or waiting for a retry.")
    db.session.commit()
    dispatch_ready_jobs()
    job = db.session.get(Job, job_id)
    click.echo(f"Job {job_id} is {job.status if job else 'gone'}.")


SERVICE_COMMANDS = (worker, tick, events_group, jobs_group)
