"""Core: API tokens, kept as digests, with their scopes, expiry, last use and revocation.

Revision ID: core_0013
Revises: core_0012
Created: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0013"
down_revision = "core_0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("portal_users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False, unique=True),
        sa.Column("secret_digest", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_ip", sa.String(length=45), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_portal_api_tokens_user_id", "portal_api_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_portal_api_tokens_user_id", table_name="portal_api_tokens")
    op.drop_table("portal_api_tokens")
