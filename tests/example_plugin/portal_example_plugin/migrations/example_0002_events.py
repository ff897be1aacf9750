"""Example plugin: the log of received events and the heartbeat's runs.

Revision ID: example_0002
Revises: example_0001
Created: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "example_0002"
down_revision = "example_0001"
branch_labels = None
# The tables are the plugin's own, but they only make sense with the core's events and schedule.
depends_on = "core_0002"


def upgrade() -> None:
    op.create_table(
        "example_received_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_received_events")),
    )
    op.create_index(op.f("ix_example_received_events_event_id"), "example_received_events", ["event_id"])
    op.create_table(
        "example_heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("example_heartbeats")
    op.drop_index(op.f("ix_example_received_events_event_id"), table_name="example_received_events")
    op.drop_table("example_received_events")
