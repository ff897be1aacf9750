"""Core: notifications and each person's email choice per kind of notification.

Revision ID: core_0004
Revises: core_0003
Created: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_notifications_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_notifications")),
    )
    op.create_index(op.f("ix_portal_notifications_user_newest"), "portal_notifications", ["user_id", "id"])
    op.create_index(
        op.f("ix_portal_notifications_user_unread"), "portal_notifications", ["user_id", "read_at"]
    )
    op.create_table(
        "portal_notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_notification_preferences_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_portal_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("portal_notification_preferences")
    op.drop_index(op.f("ix_portal_notifications_user_unread"), table_name="portal_notifications")
    op.drop_index(op.f("ix_portal_notifications_user_newest"), table_name="portal_notifications")
    op.drop_table("portal_notifications")
