"""Core: the request that queued a job, so the worker's log lines carry the same request id.

Revision ID: core_0012
Revises: core_0011
Created: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0012"
down_revision = "core_0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("portal_jobs", sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portal_jobs") as batch:
        batch.drop_column("request_id")
