"""Core: webhooks, their deliveries (one per event and webhook) and each attempt's request and answer.

Revision ID: core_0014
Revises: core_0013
Created: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0014"
down_revision = "core_0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_webhooks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("previous_secret", sa.String(length=64), nullable=True),
        sa.Column("previous_secret_until", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failure_streak", sa.Integer(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.Column(
            "disabled_by_id",
            sa.Integer(),
            sa.ForeignKey("portal_users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "created_by_id",
            sa.Integer(),
            sa.ForeignKey("portal_users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "portal_webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "webhook_id",
            sa.Integer(),
            sa.ForeignKey("portal_webhooks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("portal_events.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("event_name", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "job_id", sa.Integer(), sa.ForeignKey("portal_jobs.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("webhook_id", "event_id"),
    )
    op.create_index(
        "ix_portal_webhook_deliveries_webhook_id_id", "portal_webhook_deliveries", ["webhook_id", "id"]
    )
    op.create_index("ix_portal_webhook_deliveries_job_id", "portal_webhook_deliveries", ["job_id"])
    op.create_table(
        "portal_webhook_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.Integer(),
            sa.ForeignKey("portal_webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("request_headers", sa.JSON(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
    )
    op.create_index(
        "ix_portal_webhook_attempts_delivery_id_id", "portal_webhook_attempts", ["delivery_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_portal_webhook_attempts_delivery_id_id", table_name="portal_webhook_attempts")
    op.drop_table("portal_webhook_attempts")
    op.drop_index("ix_portal_webhook_deliveries_job_id", table_name="portal_webhook_deliveries")
    op.drop_index("ix_portal_webhook_deliveries_webhook_id_id", table_name="portal_webhook_deliveries")
    op.drop_table("portal_webhook_deliveries")
    op.drop_table("portal_webhooks")
