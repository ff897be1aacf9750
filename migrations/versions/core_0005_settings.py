"""Core: the values administrators chose for plugin settings.

Revision ID: core_0005
Revises: core_0004
Created: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_settings",
        sa.Column("plugin", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_settings_updated_by_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("plugin", "key", name=op.f("pk_portal_settings")),
    )


def downgrade() -> None:
    op.drop_table("portal_settings")
