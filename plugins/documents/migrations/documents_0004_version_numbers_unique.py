"""Documents plugin: a version number is held by one version of a document only.

Uploads that raced before could give two versions the same number; those documents are numbered
again in upload order (by id) before the unique (document_id, number) constraint is added.

Revision ID: documents_0004
Revises: documents_0003
Created: 2026-12-04
"""

from alembic import op

revision = "documents_0004"
down_revision = "documents_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE documents_versions SET number = ("
        " SELECT COUNT(*) FROM documents_versions AS earlier"
        " WHERE earlier.document_id = documents_versions.document_id AND earlier.id <= documents_versions.id"
        ") WHERE document_id IN ("
        " SELECT document_id FROM documents_versions GROUP BY document_id, number HAVING COUNT(*) > 1"
        ")"
    )
    with op.batch_alter_table("documents_versions", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_documents_versions_document_id"), ["document_id", "number"]
        )


def downgrade() -> None:
    with op.batch_alter_table("documents_versions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_documents_versions_document_id"), type_="unique")
