"""Tickets plugin: canned replies.

Revision ID: tickets_0003
Revises: tickets_0002
Created: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0003"
down_revision = "tickets_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets_canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_canned_replies")),
    )


def downgrade() -> None:
    op.drop_table("tickets_canned_replies")
