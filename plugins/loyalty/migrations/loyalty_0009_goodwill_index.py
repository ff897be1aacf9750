"""Loyalty plugin: a customer's goodwill entries are found without reading the rest of their ledger.

The 360° page shows a customer's last five goodwill grants. With only (user_id, id) to go on, the
database read every entry of the customer and kept the goodwill ones: 20,114 rows for a customer with
a long history. (user_id, kind, id) finds the newest of one kind directly.

Revision ID: loyalty_0009
Revises: loyalty_0008
Created: 2026-12-07
"""

from alembic import op

revision = "loyalty_0009"
down_revision = "loyalty_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_loyalty_entries_user_id_kind_id", "loyalty_entries", ["user_id", "kind", "id"])


def downgrade() -> None:
    op.drop_index("ix_loyalty_entries_user_id_kind_id", table_name="loyalty_entries")
