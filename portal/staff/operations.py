"""The administrator's view of background work: failed jobs (event deliveries too), with a retry button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from portal.access import admin
from portal.database import db
from portal.events import deliveries_of_jobs
from portal.jobs import Job, retry_job, troubled_jobs
from portal.paging import page_link_id
from portal.schedule import last_runs
from portal.webhooks.delivery import webhook_deliveries_of_jobs

bp = Blueprint("operations", __name__, url_prefix="/staff/operations")

PAGE_SIZE = 25


@bp.route("/")
@admin
def index():
    """Failed and retrying jobs (deliveries named by their event), what is waiting, and the schedule."""
    jobs_before = page_link_id(request.args.get("jobs_before"))
    jobs = troubled_jobs(jobs_before, PAGE_SIZE + 1)
    waiting = db.session.execute(
        select(func.count(), func.count(Job.waiting_for)).select_from(Job).where(Job.status == "queued")
    ).one()
    return render_template(
        "staff/operations/index.html",
        jobs=jobs[:PAGE_SIZE],
        deliveries=deliveries_of_jobs([job.id for job in jobs[:PAGE_SIZE]]),
        webhook_deliveries=webhook_deliveries_of_jobs([job.id for job in jobs[:PAGE_SIZE]]),
        next_jobs=jobs[PAGE_SIZE - 1].id if len(jobs) > PAGE_SIZE else None,
        waiting_jobs=waiting[0],
        waiting_for_plugins=waiting[1],
        runs=last_runs(),
        form=FlaskForm(),
    )


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@admin
def retry_failed_job(job_id: int):
    """Queue a failed job (or event delivery) again now; a job that is not failed (or gone) answers 404."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not retry_job(job_id):
        abort(404)
    db.session.commit()
    flash(_("Job %(id)d runs again now.", id=job_id), "success")
    return redirect(url_for("operations.index"))
