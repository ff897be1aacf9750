"""Tickets plugin: the new-ticket form's one-time key, unique per customer.

Revision ID: tickets_0004
Revises: tickets_0003
Created: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0004"
down_revision = "tickets_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets_tickets", sa.Column("request_token", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_tickets_tickets_customer_id_request_token",
        "tickets_tickets",
        ["customer_id", "request_token"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_tickets_customer_id_request_token", table_name="tickets_tickets")
    with op.batch_alter_table("tickets_tickets") as batch:
        batch.drop_column("request_token")
