"""Fault: one plugin's event handler raises. The others still get the event, operators see the failure
in the shell and on the operations page, and a retry after the fix delivers it once.

The broken handler is the example plugin's, made to raise by replacing the function it calls (the
fault cannot be caused from outside: its log table is always writable). Loyalty is the bystander.
"""

from __future__ import annotations

import pytest
from flask import Flask
from portal_example_plugin import event_log
from portal_example_plugin.event_log import received_ids
from portal_example_plugin.events import note_added
from sqlalchemy import select

from plugins.loyalty import ledger
from portal import service_commands
from portal.core_events import EmailVerified
from portal.database import db
from portal.events import EventDelivery
from portal.jobs import RETRY_POLICY, Job
from portal.testing import post_form
from portal.testing.events import emit_as_owner


def break_example_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(event: object) -> None:
        raise RuntimeError("the notes ledger is offline")

    monkeypatch.setattr(event_log, "record", refuse)


def deliveries(app: Flask, event_id: int) -> dict[str, tuple[str, int]]:
    """Each plugin's delivery of the event: "delivered" or its job's state, and the job's attempts."""
    with app.app_context():
        rows = db.session.scalars(select(EventDelivery).where(EventDelivery.event_id == event_id)).all()
        states = {}
        for row in rows:
            job = db.session.get(Job, row.job_id)
            states[row.plugin] = ("delivered" if row.delivered_at else job.status, job.attempts)
        return states


@pytest.mark.plugins("example", "loyalty")
def test_a_handler_that_raises_leaves_the_others_delivered_listed_and_retried_once(
    app, client, login_as, make_user, monkeypatch
):
    person = make_user()
    break_example_handler(monkeypatch)
    with app.app_context():
        event_id = emit_as_owner(EmailVerified(user_id=person.id), customer_id=person.id).id
        db.session.commit()

    assert deliveries(app, event_id) == {"example": ("queued", 1), "loyalty": ("delivered", 1)}
    with app.app_context():
        assert ledger.balance(person.id) == 50, "loyalty got the event although example's handler raised"
        job_id = db.session.scalar(
            select(EventDelivery.job_id).where(
                EventDelivery.event_id == event_id, EventDelivery.plugin == "example"
            )
        )

    runner = app.test_cli_runner()
    listing = runner.invoke(args=["jobs", "list-failed"])
    assert listing.exit_code == 0, listing.output
    line = next(line for line in listing.output.splitlines() if line.strip().startswith(str(job_id)))
    assert "core.email_verified -> example" in line and f"1/{RETRY_POLICY.max_attempts}" in line
    assert "RuntimeError: the notes ledger is offline" in line
    assert "-> loyalty" not in listing.output, "the plugin whose handler worked has nothing to retry"

    login_as("admin")
    page = client.get("/staff/operations/").get_data(as_text=True)
    row = page.split(f'id="job-{job_id}"')[1].split("</tr>")[0]
    assert "core.email_verified" in row and "example" in row and "the notes ledger is offline" in row

    monkeypatch.undo()  # the plugin's author ships the fix
    assert post_form(client, f"/staff/operations/jobs/{job_id}/retry", {}).status_code == 302
    assert runner.invoke(args=["events", "replay"]).exit_code == 0
    assert runner.invoke(args=["tick"]).exit_code == 0
    with app.app_context():
        assert received_ids().count(event_id) == 1, "delivered once, however often retried"
        assert ledger.balance(person.id) == 50, "and the plugin that had it already did nothing again"
    assert deliveries(app, event_id) == {"example": ("delivered", 2), "loyalty": ("delivered", 1)}
    assert "No failed jobs." in runner.invoke(args=["jobs", "list-failed"]).output
    assert "the notes ledger is offline" not in client.get("/staff/operations/").get_data(as_text=True)


@pytest.mark.plugins("example")
def test_list_failed_pages_event_deliveries_with_the_other_jobs(app, monkeypatch):
    break_example_handler(monkeypatch)
    monkeypatch.setattr(service_commands, "LIST_PAGE_SIZE", 2)
    with app.app_context():
        for note_id in range(3):
            note_added(note_id)
        db.session.commit()
        ids = sorted(db.session.scalars(select(EventDelivery.job_id)), reverse=True)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "list-failed"]).output
    assert f"More: portal jobs list-failed --before {ids[1]}" in first
    second = runner.invoke(args=["jobs", "list-failed", "--before", str(ids[1])]).output
    assert f"{ids[2]}  example.note_added -> example" in second and f"{ids[0]}  " not in second
