"""Documents plugin: templates, documents, versions and the download log.

Revision ID: documents_0001
Revises:
Created: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "documents_0001"
down_revision = None
branch_labels = ("documents",)
depends_on = "core_0005"


def upgrade() -> None:
    op.create_table(
        "documents_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents_templates")),
    )
    op.create_table(
        "documents_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("audience_customer_id", sa.Integer(), nullable=True),
        sa.Column("audience_key", sa.String(length=120), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("published", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_customer_id"],
            ["portal_users.id"],
            name=op.f("fk_documents_documents_audience_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["portal_users.id"],
            name=op.f("fk_documents_documents_created_by_portal_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["documents_templates.id"],
            name=op.f("fk_documents_documents_template_id_documents_templates"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents_documents")),
    )
    op.create_index(
        op.f("ix_documents_documents_audience_customer_id"), "documents_documents", ["audience_customer_id"]
    )
    op.create_index(op.f("ix_documents_documents_audience_key"), "documents_documents", ["audience_key"])
    op.create_index("ix_documents_documents_published_id", "documents_documents", ["published", "id"])
    op.create_table(
        "documents_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("mimetype", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents_documents.id"],
            name=op.f("fk_documents_versions_document_id_documents_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["portal_users.id"],
            name=op.f("fk_documents_versions_created_by_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents_versions")),
    )
    op.create_index(op.f("ix_documents_versions_document_id"), "documents_versions", ["document_id"])
    op.create_table(
        "documents_downloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents_documents.id"],
            name=op.f("fk_documents_downloads_document_id_documents_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["documents_versions.id"],
            name=op.f("fk_documents_downloads_version_id_documents_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_documents_downloads_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents_downloads")),
    )
    op.create_index(op.f("ix_documents_downloads_document_id"), "documents_downloads", ["document_id"])
    op.create_index(
        "ix_documents_downloads_user_id_document_id", "documents_downloads", ["user_id", "document_id"]
    )
    op.create_table(
        "documents_notices",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents_documents.id"],
            name=op.f("fk_documents_notices_document_id_documents_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_documents_notices_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "user_id", name=op.f("pk_documents_notices")),
    )


def downgrade() -> None:
    op.drop_table("documents_notices")
    op.drop_table("documents_downloads")
    op.drop_table("documents_versions")
    op.drop_table("documents_documents")
    op.drop_table("documents_templates")
