"""Core: integration accounts, which act as staff through API tokens and never sign in.

Revision ID: core_0015
Revises: core_0014
Created: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0015"
down_revision = "core_0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "portal_users", sa.Column("is_integration", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    with op.batch_alter_table("portal_users") as batch:
        batch.drop_column("is_integration")
