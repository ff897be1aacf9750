"""Core: the event outbox and its deliveries, background jobs, and the scheduled tasks' leases.

Revision ID: core_0002
Revises: core_0001
Created: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_events_actor_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_events_customer_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_events")),
    )
    op.create_index(op.f("ix_portal_events_actor_id"), "portal_events", ["actor_id"])
    op.create_index(op.f("ix_portal_events_created_at"), "portal_events", ["created_at"])
    op.create_index(op.f("ix_portal_events_customer_id"), "portal_events", ["customer_id"])

    op.create_table(
        "portal_event_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("plugin", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name=op.f("ck_portal_event_deliveries_status")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["portal_events.id"],
            name=op.f("fk_portal_event_deliveries_event_id_portal_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_event_deliveries")),
        sa.UniqueConstraint("event_id", "plugin", name=op.f("uq_portal_event_deliveries_event_id")),
    )
    op.create_index(
        op.f("ix_portal_event_deliveries_next_attempt_at"), "portal_event_deliveries", ["next_attempt_at"]
    )
    op.create_index(op.f("ix_portal_event_deliveries_status"), "portal_event_deliveries", ["status"])

    op.create_table(
        "portal_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_portal_jobs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_jobs")),
    )
    op.create_index(op.f("ix_portal_jobs_status"), "portal_jobs", ["status"])

    op.create_table(
        "portal_schedule_runs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("last_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_portal_schedule_runs")),
    )


def downgrade() -> None:
    op.drop_table("portal_schedule_runs")
    op.drop_index(op.f("ix_portal_jobs_status"), table_name="portal_jobs")
    op.drop_table("portal_jobs")
    op.drop_index(op.f("ix_portal_event_deliveries_status"), table_name="portal_event_deliveries")
    op.drop_index(op.f("ix_portal_event_deliveries_next_attempt_at"), table_name="portal_event_deliveries")
    op.drop_table("portal_event_deliveries")
    op.drop_index(op.f("ix_portal_events_customer_id"), table_name="portal_events")
    op.drop_index(op.f("ix_portal_events_created_at"), table_name="portal_events")
    op.drop_index(op.f("ix_portal_events_actor_id"), table_name="portal_events")
    op.drop_table("portal_events")
