"""Tickets plugin: tickets by mail, and the channel each ticket came in by.

``tickets_tickets.channel`` says how a ticket reached us (web, email, phone, counter; existing
tickets came from the web form). ``tickets_held_mail`` and ``tickets_held_files`` keep mail to the
support address from someone without an account until an account confirms that address.

Revision ID: tickets_0008
Revises: tickets_0007
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0008"
down_revision = "tickets_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets_tickets") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), server_default="web", nullable=False))
    op.create_table(
        "tickets_held_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tickets_held_mail"),
        sa.UniqueConstraint("address", "message_digest", name="uq_tickets_held_mail_address_message_digest"),
    )
    op.create_index(
        "ix_tickets_held_mail_address_received_at", "tickets_held_mail", ["address", "received_at"]
    )
    op.create_index("ix_tickets_held_mail_received_at", "tickets_held_mail", ["received_at"])
    op.create_table(
        "tickets_held_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_mail_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("mimetype", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["held_mail_id"],
            ["tickets_held_mail.id"],
            name="fk_tickets_held_files_held_mail_id_tickets_held_mail",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tickets_held_files"),
    )
    op.create_index("ix_tickets_held_files_held_mail_id", "tickets_held_files", ["held_mail_id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_held_files_held_mail_id", table_name="tickets_held_files")
    op.drop_table("tickets_held_files")
    op.drop_index("ix_tickets_held_mail_received_at", table_name="tickets_held_mail")
    op.drop_index("ix_tickets_held_mail_address_received_at", table_name="tickets_held_mail")
    op.drop_table("tickets_held_mail")
    with op.batch_alter_table("tickets_tickets") as batch:
        batch.drop_column("channel")
