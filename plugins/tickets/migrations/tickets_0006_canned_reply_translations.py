"""Tickets plugin: a canned reply's title and body in further languages.

The default-language text stays in its columns; the others are one JSON ``translations`` column
(portal/content_languages.py). Existing rows start untranslated and fall back to the default text.

Revision ID: tickets_0006
Revises: tickets_0005
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0006"
down_revision = "tickets_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets_canned_replies") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets_canned_replies") as batch:
        batch.drop_column("translations")
