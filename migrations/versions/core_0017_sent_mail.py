"""Core: the mail sent to each account, for the communication history on the 360° page.

Revision ID: core_0017
Revises: core_0016
Created: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0017"
down_revision = "core_0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_sent_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_sent_mail_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sent_mail")),
        sa.UniqueConstraint("message_id", name=op.f("uq_portal_sent_mail_message_id")),
    )
    op.create_index(op.f("ix_portal_sent_mail_user_id_id"), "portal_sent_mail", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_sent_mail_user_id_id"), table_name="portal_sent_mail")
    op.drop_table("portal_sent_mail")
