"""Loyalty plugin: goodwill given for a ticket names the ticket, and requests for it are remembered.

A complaint's apology grants goodwill from the ticket's page; the entry keeps the ticket's number so
the customer and staff can follow it back. Goodwill above an agent's limit waits for an
administrator; ``loyalty_goodwill_requests`` lets the ticket show it waits instead of offering the
grant again. The ticket is a plain number: tickets belong to another plugin.

Revision ID: loyalty_0008
Revises: loyalty_0007
Created: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0008"
down_revision = "loyalty_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("loyalty_entries", sa.Column("ticket_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_loyalty_entries_ticket_id"), "loyalty_entries", ["ticket_id"])
    op.create_table(
        "loyalty_goodwill_requests",
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("declined_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_loyalty_goodwill_requests_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["portal_users.id"],
            name=op.f("fk_loyalty_goodwill_requests_requested_by_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_loyalty_goodwill_requests")),
    )
    op.create_index(op.f("ix_loyalty_goodwill_requests_user_id"), "loyalty_goodwill_requests", ["user_id"])
    op.create_index(
        op.f("ix_loyalty_goodwill_requests_ticket_id"), "loyalty_goodwill_requests", ["ticket_id"]
    )


def downgrade() -> None:
    op.drop_table("loyalty_goodwill_requests")
    op.drop_index(op.f("ix_loyalty_entries_ticket_id"), table_name="loyalty_entries")
    op.drop_column("loyalty_entries", "ticket_id")
