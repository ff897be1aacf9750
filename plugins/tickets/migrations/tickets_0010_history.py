"""Tickets plugin: a ticket's history, merging tickets, and canned replies that act as macros.

``tickets_changes`` keeps one row per change (status, assignee, priority, category, merge, split,
rating) with who made it and when. ``tickets_tickets.merged_into_id`` points a merged ticket at the
one that holds its conversation now. A canned reply may also set a status, priority and category
(``set_status``, ``set_priority``, ``set_category``; empty for the replies that exist).

Revision ID: tickets_0010
Revises: tickets_0009
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0010"
down_revision = "tickets_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("old", sa.String(length=60), nullable=True),
        sa.Column("new", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets_tickets.id"],
            name="fk_tickets_changes_ticket_id_tickets_tickets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["portal_users.id"],
            name="fk_tickets_changes_actor_id_portal_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tickets_changes"),
    )
    op.create_index("ix_tickets_changes_ticket_id_id", "tickets_changes", ["ticket_id", "id"])
    with op.batch_alter_table("tickets_tickets") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_tickets_tickets_merged_into_id_tickets_tickets",
            "tickets_tickets",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("tickets_canned_replies") as batch:
        batch.add_column(sa.Column("set_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("set_priority", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("set_category", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets_canned_replies") as batch:
        batch.drop_column("set_category")
        batch.drop_column("set_priority")
        batch.drop_column("set_status")
    with op.batch_alter_table("tickets_tickets") as batch:
        batch.drop_constraint("fk_tickets_tickets_merged_into_id_tickets_tickets", type_="foreignkey")
        batch.drop_column("merged_into_id")
    op.drop_index("ix_tickets_changes_ticket_id_id", table_name="tickets_changes")
    op.drop_table("tickets_changes")
