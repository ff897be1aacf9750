"""Core: the record of inbound mail, accepted or refused, with the raw message of refused ones.

Revision ID: core_0010
Revises: core_0009
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0010"
down_revision = "core_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_inbound_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("handler", sa.String(length=40), nullable=True),
        sa.Column("thread", sa.String(length=40), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.CheckConstraint("status IN ('accepted', 'refused')", name=op.f("ck_portal_inbound_mail_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_inbound_mail")),
    )
    op.create_index(op.f("ix_portal_inbound_mail_status_newest"), "portal_inbound_mail", ["status", "id"])
    op.create_index(
        op.f("ix_portal_inbound_mail_sender_recent"), "portal_inbound_mail", ["sender", "received_at"]
    )
    op.create_index(op.f("ix_portal_inbound_mail_received_at"), "portal_inbound_mail", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_inbound_mail_received_at"), table_name="portal_inbound_mail")
    op.drop_index(op.f("ix_portal_inbound_mail_sender_recent"), table_name="portal_inbound_mail")
    op.drop_index(op.f("ix_portal_inbound_mail_status_newest"), table_name="portal_inbound_mail")
    op.drop_table("portal_inbound_mail")
