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
from portal.testing import post_form
from portal.testing.events import emit_as_owner


def break_example_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(event: object) -> None:
        raise RuntimeError("the notes ledger is offline")

    monkeypatch.setattr(event_log, "record", refuse)


def deliveries(app: Flask, event_id: int) -> dict[str, tuple[str, int]]:
    with app.app_context():
        rows = db.session.scalars(select(EventDelivery).where(EventDelivery.event_id == event_id)).all()
        return {row.plugin: (row.status, row.attempts) for row in rows}


@pytest.mark.plugins("example", "loyalty")
def test_a_handler_that_raises_leaves_the_others_delivered_listed_and_retried_once(
    app, client, login_as, make_user, monkeypatch
):
    person = make_user()
    break_example_handler(monkeypatch)
    with app.app_context():
        event_id = emit_as_owner(EmailVerified(user_id=person.id), customer_id=person.id).id
        db.session.commit()

    assert deliveries(app, event_id) == {"example": ("failed", 1), "loyalty": ("delivered", 1)}
    with app.app_context():
        assert ledger.balance(person.id) == 50, "loyalty got the event although example's handler raised"
        delivery_id = db.session.scalar(
            select(EventDelivery.id).where(
                EventDelivery.event_id == event_id, EventDelivery.plugin == "example"
            )
        )

    runner = app.test_cli_runner()
    listing = runner.invoke(args=["jobs", "list-failed"])
    assert listing.exit_code == 0, listing.output
    line = next(line for line in listing.output.splitlines() if line.strip().startswith(str(delivery_id)))
    assert "core.email_verified" in line and "example" in line and "1/10" in line
    assert "RuntimeError: the notes ledger is offline" in line
    assert "RuntimeError" not in listing.output.split("Failed event deliveries")[0], "no job failed"

    login_as("admin")
    page = client.get("/staff/operations/").get_data(as_text=True)
    row = page.split(f'id="delivery-{delivery_id}"')[1].split("</tr>")[0]
    assert "core.email_verified" in row and "example" in row and "the notes ledger is offline" in row

    monkeypatch.undo()  # the plugin's author ships the fix
    assert post_form(client, f"/staff/operations/deliveries/{delivery_id}/retry", {}).status_code == 302
    assert runner.invoke(args=["events", "replay"]).exit_code == 0
    assert runner.invoke(args=["tick"]).exit_code == 0
    with app.app_context():
        assert received_ids().count(event_id) == 1, "delivered once, however often retried"
        assert ledger.balance(person.id) == 50, "and the plugin that had it already did nothing again"
    assert deliveries(app, event_id) == {"example": ("delivered", 2), "loyalty": ("delivered", 1)}
    assert "No failed event deliveries." in runner.invoke(args=["jobs", "list-failed"]).output
    assert "the notes ledger is offline" not in client.get("/staff/operations/").get_data(as_text=True)


@pytest.mark.plugins("example")
def test_list_failed_pages_event_deliveries_on_their_own(app, monkeypatch):
    break_example_handler(monkeypatch)
    monkeypatch.setattr(service_commands, "LIST_PAGE_SIZE", 2)
    with app.app_context():
        for note_id in range(3):
            note_added(note_id)
        db.session.commit()
        ids = sorted(db.session.scalars(select(EventDelivery.id)), reverse=True)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "list-failed"]).output
    assert f"More: portal jobs list-failed --deliveries-before {ids[1]}" in first
    second = runner.invoke(args=["jobs", "list-failed", "--deliveries-before", str(ids[1])]).output
    assert f"{ids[2]}  example.note_added" in second and f"{ids[0]}  " not in second
    assert "No failed jobs." not in second, "the page of deliveries does not repeat the jobs"
