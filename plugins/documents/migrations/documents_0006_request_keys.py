"""Documents plugin: the API's Idempotency-Key kept on the document it created, unique per sender.

A retried ``POST /api/v1/documents/`` then answers the first document instead of making a second.
Existing documents have no key.

Revision ID: documents_0006
Revises: documents_0005
Created: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "documents_0006"
down_revision = "documents_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents_documents") as batch:
        batch.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch.create_index(
            "ix_documents_documents_created_by_request_key", ["created_by", "request_key"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("documents_documents") as batch:
        batch.drop_index("ix_documents_documents_created_by_request_key")
        batch.drop_column("request_key")
