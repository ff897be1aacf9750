"""The scheduled work: expiring points, reminding before they expire, keeping tiers to the rolling year."""

from __future__ import annotations

from datetime import timedelta

from portal.plugin import ScheduledTask

from . import ledger


def scheduled_tasks() -> list[ScheduledTask]:
    return [
        ScheduledTask(name="loyalty.expire_points", every=timedelta(hours=1), function=ledger.expire_due),
        ScheduledTask(
            name="loyalty.expiry_reminders", every=timedelta(hours=6), function=ledger.remind_expiring
        ),
        ScheduledTask(
            name="loyalty.refresh_tiers", every=timedelta(days=1), function=ledger.refresh_all_tiers
        ),
    ]
