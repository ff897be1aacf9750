"""Tickets plugin: staff alerts, the warnings of response targets about to be missed.

One row per ticket and target ("first_response" or "resolution") that was warned of, so each target
is warned of once even when two ticks run at the same moment (the primary key keeps one).

Revision ID: tickets_0007
Revises: tickets_0006
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0007"
down_revision = "tickets_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets_target_warnings",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("warned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets_tickets.id"],
            name=op.f("fk_tickets_target_warnings_ticket_id_tickets_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "target", name=op.f("pk_tickets_target_warnings")),
    )


def downgrade() -> None:
    op.drop_table("tickets_target_warnings")
