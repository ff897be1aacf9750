"""Tickets plugin: tickets and their messages.

Revision ID: tickets_0001
Revises:
Created: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0001"
down_revision = None
branch_labels = ("tickets",)
depends_on = "core_0005"


def upgrade() -> None:
    op.create_table(
        "tickets_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("first_response_due", sa.DateTime(), nullable=False),
        sa.Column("resolution_due", sa.DateTime(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.String(length=1000), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_tickets_tickets_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["portal_users.id"],
            name=op.f("fk_tickets_tickets_assignee_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_tickets")),
    )
    op.create_index("ix_tickets_tickets_customer_id_id", "tickets_tickets", ["customer_id", "id"])
    op.create_index("ix_tickets_tickets_status_id", "tickets_tickets", ["status", "id"])
    op.create_index("ix_tickets_tickets_assignee_id_status", "tickets_tickets", ["assignee_id", "status"])
    op.create_table(
        "tickets_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("from_staff", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("internal", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("request_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets_tickets.id"],
            name=op.f("fk_tickets_messages_ticket_id_tickets_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["portal_users.id"],
            name=op.f("fk_tickets_messages_author_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_messages")),
        sa.UniqueConstraint("ticket_id", "request_token", name=op.f("uq_tickets_messages_ticket_id")),
    )
    op.create_index("ix_tickets_messages_ticket_id_id", "tickets_messages", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_messages_ticket_id_id", table_name="tickets_messages")
    op.drop_table("tickets_messages")
    op.drop_index("ix_tickets_tickets_assignee_id_status", table_name="tickets_tickets")
    op.drop_index("ix_tickets_tickets_status_id", table_name="tickets_tickets")
    op.drop_index("ix_tickets_tickets_customer_id_id", table_name="tickets_tickets")
    op.drop_table("tickets_tickets")
