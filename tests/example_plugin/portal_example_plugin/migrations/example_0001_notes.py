"""Example plugin: the notes table.

Revision ID: example_0001
Revises:
Created: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "example_0001"
down_revision = None
branch_labels = ("example",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "example_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_example_notes_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_notes")),
    )
    op.create_index(op.f("ix_example_notes_user_id"), "example_notes", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_example_notes_user_id"), table_name="example_notes")
    op.drop_table("example_notes")
