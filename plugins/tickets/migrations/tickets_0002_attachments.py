"""Tickets plugin: files attached to messages.

Revision ID: tickets_0002
Revises: tickets_0001
Created: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0002"
down_revision = "tickets_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("mimetype", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets_tickets.id"],
            name=op.f("fk_tickets_attachments_ticket_id_tickets_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["tickets_messages.id"],
            name=op.f("fk_tickets_attachments_message_id_tickets_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_attachments")),
    )
    op.create_index(op.f("ix_tickets_attachments_ticket_id"), "tickets_attachments", ["ticket_id"])
    op.create_index(op.f("ix_tickets_attachments_message_id"), "tickets_attachments", ["message_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_attachments_message_id"), table_name="tickets_attachments")
    op.drop_index(op.f("ix_tickets_attachments_ticket_id"), table_name="tickets_attachments")
    op.drop_table("tickets_attachments")
