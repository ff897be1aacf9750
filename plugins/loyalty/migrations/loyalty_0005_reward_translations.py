"""Loyalty plugin: a reward's title and description in further languages.

The default-language text stays in its columns; the others are one JSON ``translations`` column
(portal/content_languages.py). Existing rows start untranslated and fall back to the default text.

Revision ID: loyalty_0005
Revises: loyalty_0004
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0005"
down_revision = "loyalty_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("loyalty_rewards") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loyalty_rewards") as batch:
        batch.drop_column("translations")
