"""Core: read a customer's timeline through one index on (customer_id, id).

The 360° page lists a customer's events newest first. With an index on customer_id alone, PostgreSQL
may walk the whole outbox backwards by id and filter (seen: 407 ms, 784,226 rows read for one page when
the customer's events were old). The pair index answers the page from its first entries; it also
serves every lookup by customer_id, so the single-column index goes.

Revision ID: core_0011
Revises: core_0010
Created: 2026-12-06
"""

from alembic import op

revision = "core_0011"
down_revision = "core_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_portal_events_customer_id_id", "portal_events", ["customer_id", "id"])
    op.drop_index("ix_portal_events_customer_id", table_name="portal_events")


def downgrade() -> None:
    op.create_index("ix_portal_events_customer_id", "portal_events", ["customer_id"])
    op.drop_index("ix_portal_events_customer_id_id", table_name="portal_events")
