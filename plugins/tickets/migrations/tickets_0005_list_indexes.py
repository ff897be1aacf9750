"""Tickets plugin: indexes for the lists that filter and sort tickets by date, and for a reply's author.

Revision ID: tickets_0005
Revises: tickets_0004
Created: 2026-12-04
"""

from alembic import op

revision = "tickets_0005"
down_revision = "tickets_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_tickets_tickets_created_at"), "tickets_tickets", ["created_at"])
    op.create_index(op.f("ix_tickets_tickets_resolved_at"), "tickets_tickets", ["resolved_at"])
    op.create_index(op.f("ix_tickets_tickets_rated_at"), "tickets_tickets", ["rated_at"])
    op.create_index(op.f("ix_tickets_messages_author_id"), "tickets_messages", ["author_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_messages_author_id"), table_name="tickets_messages")
    op.drop_index(op.f("ix_tickets_tickets_rated_at"), table_name="tickets_tickets")
    op.drop_index(op.f("ix_tickets_tickets_resolved_at"), table_name="tickets_tickets")
    op.drop_index(op.f("ix_tickets_tickets_created_at"), table_name="tickets_tickets")
