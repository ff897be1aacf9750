"""Tickets plugin: people on a ticket.

The copy list of each ticket (``tickets_watchers``: one address per ticket at most once), and the
agent who opened a ticket for a customer who phoned or came to the counter (``opened_by_id``).

Revision ID: tickets_0009
Revises: tickets_0008
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0009"
down_revision = "tickets_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets_watchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets_tickets.id"],
            name="fk_tickets_watchers_ticket_id_tickets_tickets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["portal_users.id"],
            name="fk_tickets_watchers_added_by_id_portal_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tickets_watchers"),
        sa.UniqueConstraint("ticket_id", "email", name="uq_tickets_watchers_ticket_id_email"),
    )
    op.create_index("ix_tickets_watchers_email", "tickets_watchers", ["email"])
    with op.batch_alter_table("tickets_tickets") as batch:
        batch.add_column(sa.Column("opened_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_tickets_tickets_opened_by_id_portal_users",
            "portal_users",
            ["opened_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets_tickets") as batch:
        batch.drop_constraint("fk_tickets_tickets_opened_by_id_portal_users", type_="foreignkey")
        batch.drop_column("opened_by_id")
    op.drop_index("ix_tickets_watchers_email", table_name="tickets_watchers")
    op.drop_table("tickets_watchers")
