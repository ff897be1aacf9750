"""Documents plugin: an index on a download's version, a foreign key that deleting a version looks up.

Revision ID: documents_0003
Revises: documents_0002
Created: 2026-12-04
"""

from alembic import op

revision = "documents_0003"
down_revision = "documents_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_documents_downloads_version_id"), "documents_downloads", ["version_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_documents_downloads_version_id"), table_name="documents_downloads")
