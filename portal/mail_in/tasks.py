"""The inbound mail's scheduled work: sweeping old refusals, and polling the IMAP mailbox if there is one."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from portal.database import db, utcnow
from portal.mail_in.imap import poll_mailbox
from portal.mail_in.models import InboundMailRecord
from portal.schedule import ScheduledTask
from portal.storage import delete_after_commit

REFUSED_KEPT_FOR = timedelta(days=30)
SWEEP_BATCH = 500
POLL_EVERY = timedelta(minutes=1)


def sweep_refused_mail() -> None:
    """Forget refused mail older than 30 days, raw message and all: it holds strangers' text.

    Accepted records stay, since they are the trail of what reached a plugin. A batch per run keeps
    the transaction short; the next run takes the rest.
    """
    old = db.session.scalars(
        select(InboundMailRecord)
        .where(
            InboundMailRecord.status == "refused", InboundMailRecord.received_at < utcnow() - REFUSED_KEPT_FOR
        )
        .order_by(InboundMailRecord.id)
        .limit(SWEEP_BATCH)
    ).all()
    for record in old:
        if record.storage_key:
            delete_after_commit(record.storage_key)
        db.session.delete(record)


def poll_configured_mailbox() -> None:
    """One poll of PORTAL_MAIL_IMAP_URL, for deployments that read their support address over IMAP."""
    poll_mailbox()


def mail_in_tasks(app: Flask) -> list[ScheduledTask]:
    """The core's inbound-mail tasks for ``app``: the sweep always, the poll when a mailbox is set."""
    tasks = [ScheduledTask("core.mail_in_sweep", timedelta(hours=1), sweep_refused_mail)]
    if app.config["PORTAL_MAIL_IMAP_URL"]:
        tasks.append(ScheduledTask("core.mail_poll", POLL_EVERY, poll_configured_mailbox))
    return tasks
