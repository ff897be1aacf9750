"""Help center plugin: categories, articles with their versions, search entries, readings and feedback.

Revision ID: helpcenter_0001
Revises:
Created: 2026-12-05 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "helpcenter_0001"
down_revision = None
branch_labels = ("helpcenter",)
depends_on = "core_0010"


def upgrade() -> None:
    op.create_table(
        "helpcenter_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpcenter_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_helpcenter_categories_name")),
    )
    op.create_table(
        "helpcenter_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("audience", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("helpful", sa.Integer(), nullable=False),
        sa.Column("unhelpful", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'archived')", name=op.f("ck_helpcenter_articles_known_status")
        ),
        sa.CheckConstraint(
            "views >= 0 AND helpful >= 0 AND unhelpful >= 0",
            name=op.f("ck_helpcenter_articles_counts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["portal_users.id"],
            name=op.f("fk_helpcenter_articles_author_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["helpcenter_categories.id"],
            name=op.f("fk_helpcenter_articles_category_id_helpcenter_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpcenter_articles")),
    )
    op.create_index(
        op.f("ix_helpcenter_articles_audience"), "helpcenter_articles", ["audience"], unique=False
    )
    op.create_index(
        op.f("ix_helpcenter_articles_category_id"), "helpcenter_articles", ["category_id"], unique=False
    )
    op.create_index(
        "ix_helpcenter_articles_status_category",
        "helpcenter_articles",
        ["status", "category_id"],
        unique=False,
    )
    op.create_table(
        "helpcenter_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["helpcenter_articles.id"],
            name=op.f("fk_helpcenter_feedback_article_id_helpcenter_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_helpcenter_feedback_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpcenter_feedback")),
        # One answer per signed-in reader and article; visitors' answers (no user) are not limited here.
        sa.UniqueConstraint("article_id", "user_id", name=op.f("uq_helpcenter_feedback_article_id")),
    )
    op.create_index(op.f("ix_helpcenter_feedback_user_id"), "helpcenter_feedback", ["user_id"], unique=False)
    op.create_table(
        "helpcenter_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("from_ticket_form", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["helpcenter_articles.id"],
            name=op.f("fk_helpcenter_readings_article_id_helpcenter_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_helpcenter_readings_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpcenter_readings")),
    )
    op.create_index(
        op.f("ix_helpcenter_readings_article_id"), "helpcenter_readings", ["article_id"], unique=False
    )
    op.create_index(
        "ix_helpcenter_readings_form_created_at",
        "helpcenter_readings",
        ["from_ticket_form", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_helpcenter_readings_user_id_created_at",
        "helpcenter_readings",
        ["user_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "helpcenter_search_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["helpcenter_articles.id"],
            name=op.f("fk_helpcenter_search_entries_article_id_helpcenter_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpcenter_search_entries")),
        sa.UniqueConstraint("article_id", "language", name=op.f("uq_helpcenter_search_entries_article_id")),
    )
    op.create_table(
        "helpcenter_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["helpcenter_articles.id"],
            name=op.f("fk_helpcenter_versions_article_id_helpcenter_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["portal_users.id"],
            name=op.f("fk_helpcenter_versions_author_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpcenter_versions")),
        sa.UniqueConstraint("article_id", "number", name=op.f("uq_helpcenter_versions_article_id")),
    )


def downgrade() -> None:
    for table in (
        "helpcenter_versions",
        "helpcenter_search_entries",
        "helpcenter_readings",
        "helpcenter_feedback",
        "helpcenter_articles",
        "helpcenter_categories",
    ):
        op.drop_table(table)
