"""Core: each person's calendar: the one their language usually uses, or Gregorian or Solar Hijri.

Everyone starts on "auto", which is what the portal showed before: Persian readers the Solar Hijri
calendar, everyone else the Gregorian one.

Revision ID: core_0009
Revises: core_0008
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0009"
down_revision = "core_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "portal_users", sa.Column("calendar", sa.String(length=16), server_default="auto", nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("portal_users") as batch:
        batch.drop_column("calendar")
