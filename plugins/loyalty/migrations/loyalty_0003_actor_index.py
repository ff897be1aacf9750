"""Loyalty plugin: an index on who granted an entry, a foreign key that account erasure looks up.

Revision ID: loyalty_0003
Revises: loyalty_0002
Created: 2026-12-04
"""

from alembic import op

revision = "loyalty_0003"
down_revision = "loyalty_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_loyalty_entries_actor_id"), "loyalty_entries", ["actor_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_loyalty_entries_actor_id"), table_name="loyalty_entries")
