"""Running one scheduled task now, in a test, without waiting for it to be due or for its lease.

``portal tick`` runs a task only when it is due and nobody holds it; a test wants the work itself,
this moment, and to see it fail loudly rather than have the failure logged as the tick does.
"""

from __future__ import annotations

from flask import Flask

from portal.database import db
from portal.jobs import dispatch_ready_jobs
from portal.schedule import scheduled_tasks


def run_scheduled_task(app: Flask, name: str) -> None:
    """Run the enabled plugins' scheduled task ``name`` once, now, as a tick runs it.

    Its lease and when it last ran are ignored and left as they were, so the next ``portal tick``
    behaves as it would have. The work is committed when the task returns and the jobs it queued run
    (in-process, as after a tick); if it raises, its work is rolled back and the error reaches the test.
    """
    with app.app_context():
        tasks = {task.name: task for task in scheduled_tasks()}
        if name not in tasks:
            raise LookupError(
                f"No enabled plugin has a scheduled task named {name!r}; there are: "
                + (", ".join(sorted(tasks)) or "none")
                + ". Is its plugin enabled (@pytest.mark.plugins(...))?"
            )
        try:
            tasks[name].function()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        dispatch_ready_jobs()
