"""The administrator's view of background work: failed jobs and event deliveries, with a retry button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from portal.access import admin
from portal.database import db
from portal.events import EventDelivery, failed_deliveries, retry_delivery
from portal.jobs import Job, retry_job, troubled_jobs
from portal.paging import page_link_id
from portal.schedule import last_runs

bp = Blueprint("operations", __name__, url_prefix="/staff/operations")

PAGE_SIZE = 25


@bp.route("/")
@admin
def index():
    """Failed jobs and deliveries (each list paged on its own), what is waiting, and the scheduled runs."""
    jobs_before = page_link_id(request.args.get("jobs_before"))
    deliveries_before = page_link_id(request.args.get("deliveries_before"))
    jobs = troubled_jobs(jobs_before, PAGE_SIZE + 1)
    deliveries = failed_deliveries(deliveries_before, PAGE_SIZE + 1)
    waiting_jobs = db.session.scalar(select(func.count()).select_from(Job).where(Job.status == "queued"))
    waiting_deliveries = db.session.scalar(
        select(func.count()).select_from(EventDelivery).where(EventDelivery.status == "pending")
    )
    return render_template(
        "staff/operations/index.html",
        jobs=jobs[:PAGE_SIZE],
        next_jobs=jobs[PAGE_SIZE - 1].id if len(jobs) > PAGE_SIZE else None,
        deliveries=deliveries[:PAGE_SIZE],
        next_deliveries=deliveries[PAGE_SIZE - 1].id if len(deliveries) > PAGE_SIZE else None,
        jobs_before=jobs_before,
        deliveries_before=deliveries_before,
        waiting_jobs=waiting_jobs,
        waiting_deliveries=waiting_deliveries,
        runs=last_runs(),
        form=FlaskForm(),
    )


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@admin
def retry_failed_job(job_id: int):
    """Queue a failed job again now; a job that is not failed (or gone) answers 404."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not retry_job(job_id):
        abort(404)
    db.session.commit()
    flash(_("Job %(id)d runs again now.", id=job_id), "success")
    return redirect(url_for("operations.index"))


@bp.route("/deliveries/<int:delivery_id>/retry", methods=["POST"])
@admin
def retry_failed_delivery(delivery_id: int):
    """Deliver a failed event delivery again now; one that is not failed (or gone) answers 404."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not retry_delivery(delivery_id):
        abort(404)
    db.session.commit()
    flash(_("The event is being delivered again."), "success")
    return redirect(url_for("operations.index"))
