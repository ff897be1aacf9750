"""Core: event deliveries become ordinary jobs, with the jobs' one retry policy; indexes for lists.

Each delivery not yet delivered gets a ``core.deliver_event`` job that carries on where it stood: its
attempts, its last error and when it is next due; one that had given up becomes a failed job. The
delivery row keeps only what makes it exactly-once (``delivered_at``) and points at its job. The old
``core.deliver_event`` jobs, which handed one event to all its plugins, are not finished: they are
removed, since the new per-plugin jobs carry all their work. Jobs can now wait for a plugin to be
switched on (``waiting_for``); deliveries to a plugin that is off start out waiting for it.

Also the index on ``portal_users.role``, which the staff lists filter on.

Revision ID: core_0008
Revises: core_0007
Created: 2026-12-04
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "core_0008"
down_revision = "core_0007"
branch_labels = None
depends_on = None

DELIVER_TASK = "core.deliver_event"
# RETRY_POLICY.max_attempts when this revision was written (portal/jobs.py).
MAX_ATTEMPTS = 10

jobs = sa.table(
    "portal_jobs",
    sa.column("id", sa.Integer()),
    sa.column("task", sa.String()),
    sa.column("arguments", sa.JSON()),
    sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("max_attempts", sa.Integer()),
    sa.column("run_after", sa.DateTime()),
    sa.column("locked_until", sa.DateTime()),
    sa.column("waiting_for", sa.String()),
    sa.column("last_error", sa.Text()),
    sa.column("created_at", sa.DateTime()),
    sa.column("finished_at", sa.DateTime()),
)
deliveries = sa.table(
    "portal_event_deliveries",
    sa.column("id", sa.Integer()),
    sa.column("event_id", sa.Integer()),
    sa.column("plugin", sa.String()),
    sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("last_error", sa.Text()),
    sa.column("next_attempt_at", sa.DateTime()),
    sa.column("delivered_at", sa.DateTime()),
    sa.column("job_id", sa.Integer()),
)
events = sa.table("portal_events", sa.column("id", sa.Integer()), sa.column("created_at", sa.DateTime()))


def upgrade() -> None:
    op.create_index(op.f("ix_portal_users_role"), "portal_users", ["role"])
    op.add_column("portal_jobs", sa.Column("waiting_for", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_portal_jobs_waiting_for"), "portal_jobs", ["waiting_for"])
    op.add_column("portal_event_deliveries", sa.Column("job_id", sa.Integer(), nullable=True))
    _move_undelivered_into_jobs()
    op.drop_index(op.f("ix_portal_event_deliveries_next_attempt_at"), table_name="portal_event_deliveries")
    op.drop_index(op.f("ix_portal_event_deliveries_status"), table_name="portal_event_deliveries")
    with op.batch_alter_table("portal_event_deliveries") as batch:
        batch.drop_constraint(op.f("ck_portal_event_deliveries_status"), type_="check")
        batch.drop_column("status")
        batch.drop_column("attempts")
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
        batch.create_foreign_key(
            op.f("fk_portal_event_deliveries_job_id_portal_jobs"),
            "portal_jobs",
            ["job_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_portal_event_deliveries_job_id"), ["job_id"])


def _move_undelivered_into_jobs() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    bind.execute(sa.delete(jobs).where(jobs.c.task == DELIVER_TASK, jobs.c.status != "done"))
    switched_off = _switched_off_plugins(bind)
    undelivered = bind.execute(
        sa.select(deliveries, events.c.created_at)
        .join(events, events.c.id == deliveries.c.event_id)
        .where(deliveries.c.status != "delivered")
        .order_by(deliveries.c.id)
    ).all()
    for row in undelivered:
        gave_up = row.status == "failed" and row.next_attempt_at is None
        job_id = bind.execute(
            sa.insert(jobs)
            .values(
                task=DELIVER_TASK,
                arguments={"event_id": row.event_id, "plugin": row.plugin},
                status="failed" if gave_up else "queued",
                attempts=row.attempts,
                max_attempts=max(MAX_ATTEMPTS, row.attempts),
                run_after=row.next_attempt_at or now,
                locked_until=None,
                waiting_for=row.plugin if row.plugin in switched_off and not gave_up else None,
                last_error=row.last_error,
                created_at=row.created_at,
                finished_at=now if gave_up else None,
            )
            .returning(jobs.c.id)
        ).scalar_one()
        bind.execute(sa.update(deliveries).where(deliveries.c.id == row.id).values(job_id=job_id))


def _switched_off_plugins(bind: sa.Connection) -> set[str]:
    """Plugins an administrator switched off; a plugin left out of the config is woken by the first tick."""
    states = sa.table(
        "portal_plugin_states", sa.column("name", sa.String()), sa.column("enabled", sa.Boolean())
    )
    return set(bind.scalars(sa.select(states.c.name).where(states.c.enabled.is_(False))))


def downgrade() -> None:
    op.add_column("portal_event_deliveries", sa.Column("status", sa.String(length=16), nullable=True))
    op.add_column("portal_event_deliveries", sa.Column("attempts", sa.Integer(), nullable=True))
    op.add_column("portal_event_deliveries", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("portal_event_deliveries", sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
    _move_jobs_back_into_deliveries()
    with op.batch_alter_table("portal_event_deliveries") as batch:
        batch.drop_index(op.f("ix_portal_event_deliveries_job_id"))
        batch.drop_constraint(op.f("fk_portal_event_deliveries_job_id_portal_jobs"), type_="foreignkey")
        batch.drop_column("job_id")
        batch.alter_column("status", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("attempts", existing_type=sa.Integer(), nullable=False)
        batch.create_check_constraint(
            op.f("ck_portal_event_deliveries_status"), "status IN ('pending', 'delivered', 'failed')"
        )
    op.create_index(op.f("ix_portal_event_deliveries_status"), "portal_event_deliveries", ["status"])
    op.create_index(
        op.f("ix_portal_event_deliveries_next_attempt_at"), "portal_event_deliveries", ["next_attempt_at"]
    )
    op.drop_index(op.f("ix_portal_jobs_waiting_for"), table_name="portal_jobs")
    with op.batch_alter_table("portal_jobs") as batch:
        batch.drop_column("waiting_for")
    op.drop_index(op.f("ix_portal_users_role"), table_name="portal_users")


def _move_jobs_back_into_deliveries() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = bind.execute(
        sa.select(
            deliveries.c.id, deliveries.c.delivered_at, jobs.c.status, jobs.c.attempts, jobs.c.last_error
        )
        .select_from(deliveries)
        .outerjoin(jobs, jobs.c.id == deliveries.c.job_id)
    ).all()
    for row in rows:
        if row.delivered_at is not None:
            values = {"status": "delivered", "attempts": row.attempts or 1, "next_attempt_at": None}
        elif row.status == "failed":
            values = {"status": "failed", "attempts": row.attempts, "next_attempt_at": None}
        else:
            values = {"status": "failed" if row.attempts else "pending", "attempts": row.attempts or 0}
            values["next_attempt_at"] = now
        values["last_error"] = row.last_error
        bind.execute(sa.update(deliveries).where(deliveries.c.id == row.id).values(**values))
    bind.execute(sa.delete(jobs).where(jobs.c.task == DELIVER_TASK, jobs.c.status != "done"))
