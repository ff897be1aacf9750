"""Surveys plugin: a survey's title and intro, its questions, help and options in further languages.

The default-language text stays in its columns; the others are one JSON ``translations`` column
(portal/content_languages.py). Existing rows start untranslated and fall back to the default text.

Revision ID: surveys_0003
Revises: surveys_0002
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "surveys_0003"
down_revision = "surveys_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys_surveys") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=True))
    with op.batch_alter_table("surveys_questions") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("surveys_questions") as batch:
        batch.drop_column("translations")
    with op.batch_alter_table("surveys_surveys") as batch:
        batch.drop_column("translations")
