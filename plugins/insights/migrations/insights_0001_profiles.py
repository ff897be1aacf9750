"""Insights plugin: customer profiles (stage, grade, risk), stage history, complaints, progress.

Revision ID: insights_0001
Revises:
Created: 2026-12-06 23:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "insights_0001"
down_revision = None
branch_labels = ("insights",)
depends_on = "core_0015"


def upgrade() -> None:
    op.create_table(
        "insights_profiles",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_overridden", sa.Boolean(), nullable=False),
        sa.Column("stage_since", sa.DateTime(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("at_risk", sa.Boolean(), nullable=False),
        sa.Column("risk_reasons", sa.JSON(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("review_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_insights_profiles_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_insights_profiles")),
    )
    op.create_index(
        "ix_insights_profiles_at_risk_value", "insights_profiles", ["at_risk", "value", "customer_id"]
    )
    op.create_index("ix_insights_profiles_stage", "insights_profiles", ["stage"])
    op.create_index("ix_insights_profiles_grade", "insights_profiles", ["grade"])
    op.create_index("ix_insights_profiles_review_at", "insights_profiles", ["review_at"])

    op.create_table(
        "insights_stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("old_stage", sa.String(length=16), nullable=True),
        sa.Column("new_stage", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_insights_stage_changes_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["portal_users.id"],
            name=op.f("fk_insights_stage_changes_actor_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_stage_changes")),
    )
    op.create_index(
        "ix_insights_stage_changes_customer_id_id", "insights_stage_changes", ["customer_id", "id"]
    )

    op.create_table(
        "insights_complaints",
        sa.Column("ticket_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_insights_complaints_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_insights_complaints")),
    )
    op.create_index(
        "ix_insights_complaints_customer_id", "insights_complaints", ["customer_id", "resolved_at"]
    )

    op.create_table(
        "insights_progress",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("graded_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_progress")),
    )


def downgrade() -> None:
    op.drop_table("insights_progress")
    op.drop_index("ix_insights_complaints_customer_id", table_name="insights_complaints")
    op.drop_table("insights_complaints")
    op.drop_index("ix_insights_stage_changes_customer_id_id", table_name="insights_stage_changes")
    op.drop_table("insights_stage_changes")
    op.drop_index("ix_insights_profiles_review_at", table_name="insights_profiles")
    op.drop_index("ix_insights_profiles_grade", table_name="insights_profiles")
    op.drop_index("ix_insights_profiles_stage", table_name="insights_profiles")
    op.drop_index("ix_insights_profiles_at_risk_value", table_name="insights_profiles")
    op.drop_table("insights_profiles")
