"""The commands that keep background work moving: ``portal worker``, ``portal tick``, ``portal events``
and ``portal jobs``. docs/operations.md says how to run them under systemd and cron.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import SimpleWorker

from portal.database import db
from portal.events import replay_undelivered
from portal.jobs import Job, dispatch_ready_jobs, job_queue, retry_job, troubled_jobs
from portal.plugin_manager import PluginError
from portal.schedule import run_tick

LIST_PAGE_SIZE = 50


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run background jobs from Redis (needs PORTAL_REDIS_URL); run one or more under systemd.

    An RQ SimpleWorker runs each job in this process, inside the app built once at start, so no job
    pays for building the app or forking.
    """
    if not current_app.config["PORTAL_REDIS_URL"]:
        raise click.ClickException(
            "PORTAL_REDIS_URL is not set: without Redis, jobs run inside the web process "
            "and no worker is needed."
        )
    queue = job_queue(current_app)
    click.echo(f"Working on the queue {queue.name!r}{' until it is empty' if burst else ''}.")
    SimpleWorker([queue], connection=queue.connection).work(burst=burst, logging_level="INFO")


@click.command("tick")
@with_appcontext
def tick() -> None:
    """Do the scheduled work that is due; cron or a systemd timer runs this every minute.

    Safe to run twice at once: each piece of work is claimed by exactly one tick.
    """
    try:
        report = run_tick()
    except PluginError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Recovered {report.recovered_jobs} lost jobs; dispatched {report.redispatched_jobs} jobs and "
        f"{report.redispatched_deliveries} event deliveries again."
    )
    for name in report.ran:
        click.echo(f"Ran {name}.")
    if current_app.config["PORTAL_REDIS_URL"]:
        queue = job_queue(current_app)
        if not SimpleWorker.count(queue=queue):
            click.echo(f"Warning: no 'portal worker' is working on the queue {queue.name!r}.", err=True)
    if report.failed:
        raise click.ClickException("These scheduled tasks failed (see the log): " + ", ".join(report.failed))


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


@click.group("jobs")
def jobs_group() -> None:
    """Look at failed jobs and run them again."""


@jobs_group.command("list-failed")
@click.option("--before", type=int, help="Show jobs older than this id (the next page).")
@with_appcontext
def list_failed(before: int | None) -> None:
    """List failed jobs and jobs waiting for a retry, newest first."""
    jobs = troubled_jobs(before, LIST_PAGE_SIZE + 1)
    if not jobs:
        click.echo("No failed jobs.")
    for job in jobs[:LIST_PAGE_SIZE]:
        state = "failed" if job.status == "failed" else f"retry after {job.run_after:%Y-%m-%d %H:%M} UTC"
        summary = (job.last_error or "").splitlines()[0] if job.last_error else ""
        click.echo(f"{job.id:>8}  {job.task:<30} {job.attempts}/{job.max_attempts}  {state}  {summary}")
    if len(jobs) > LIST_PAGE_SIZE:
        click.echo(f"More: portal jobs list-failed --before {jobs[LIST_PAGE_SIZE - 1].id}")


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
