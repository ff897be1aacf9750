"""Documents plugin: a template's text in further languages, so each customer's PDF reads in theirs.

Revision ID: documents_0002
Revises: documents_0001
Created: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "documents_0002"
down_revision = "documents_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents_template_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["documents_templates.id"],
            name=op.f("fk_documents_template_translations_template_id_documents_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents_template_translations")),
        sa.UniqueConstraint(
            "template_id", "language", name=op.f("uq_documents_template_translations_template_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("documents_template_translations")
