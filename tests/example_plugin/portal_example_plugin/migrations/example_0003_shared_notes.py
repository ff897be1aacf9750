"""Example plugin: a note can be shared with the customer's organization.

Revision ID: example_0003
Revises: example_0002
Created: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "example_0003"
down_revision = "example_0002"
branch_labels = None
# Sharing means something only once the core has organizations.
depends_on = "core_0003"


def upgrade() -> None:
    with op.batch_alter_table("example_notes") as batch:
        batch.add_column(sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("example_notes") as batch:
        batch.drop_column("shared")
