"""Core: approvals, requests that wait for an administrator's decision.

Revision ID: core_0016
Revises: core_0015
Created: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0016"
down_revision = "core_0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_approvals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "customer_id", sa.Integer(), sa.ForeignKey("portal_users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column(
            "requested_by_id",
            sa.Integer(),
            sa.ForeignKey("portal_users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("request_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "decided_by_id",
            sa.Integer(),
            sa.ForeignKey("portal_users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("request_key"),
    )
    op.create_index("ix_portal_approvals_status_id", "portal_approvals", ["status", "id"])
    op.create_index("ix_portal_approvals_decided_at_id", "portal_approvals", ["decided_at", "id"])
    op.create_index("ix_portal_approvals_requested_by_id_id", "portal_approvals", ["requested_by_id", "id"])
    op.create_index("ix_portal_approvals_customer_id", "portal_approvals", ["customer_id"])
    op.create_index("ix_portal_approvals_decided_by_id", "portal_approvals", ["decided_by_id"])


def downgrade() -> None:
    op.drop_index("ix_portal_approvals_decided_by_id", table_name="portal_approvals")
    op.drop_index("ix_portal_approvals_customer_id", table_name="portal_approvals")
    op.drop_index("ix_portal_approvals_requested_by_id_id", table_name="portal_approvals")
    op.drop_index("ix_portal_approvals_decided_at_id", table_name="portal_approvals")
    op.drop_index("ix_portal_approvals_status_id", table_name="portal_approvals")
    op.drop_table("portal_approvals")
