"""Core: a customer's postal address and phone, kept by them, printed on documents made for them.

Revision ID: core_0006
Revises: core_0005
Created: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0006"
down_revision = "core_0005"
branch_labels = None
depends_on = None

COLUMNS = (
    ("address_street", 200),
    ("address_city", 100),
    ("address_postal_code", 20),
    ("address_country", 2),
    ("phone", 40),
)


def upgrade() -> None:
    for name, length in COLUMNS:
        op.add_column(
            "portal_users", sa.Column(name, sa.String(length=length), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_users") as batch:
        for name, _length in reversed(COLUMNS):
            batch.drop_column(name)
