"""Core: organizations and households, their members, and invitations to join them.

Revision ID: core_0003
Revises: core_0002
Created: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('company', 'household')", name=op.f("ck_portal_organizations_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_organizations")),
    )
    op.create_index(op.f("ix_portal_organizations_name"), "portal_organizations", ["name"])
    op.create_table(
        "portal_memberships",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('manager', 'member')", name=op.f("ck_portal_memberships_role")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["portal_organizations.id"],
            name=op.f("fk_portal_memberships_organization_id_portal_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_memberships_user_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_portal_memberships")),
    )
    op.create_index(op.f("ix_portal_memberships_organization_id"), "portal_memberships", ["organization_id"])
    op.create_table(
        "portal_organization_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_organization_invitations_invited_by_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["portal_organizations.id"],
            name=op.f("fk_portal_organization_invitations_organization_id_portal_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_organization_invitations")),
    )
    op.create_index(
        op.f("ix_portal_organization_invitations_organization_id"),
        "portal_organization_invitations",
        ["organization_id"],
    )


def downgrade() -> None:
    op.drop_table("portal_organization_invitations")
    op.drop_table("portal_memberships")
    op.drop_table("portal_organizations")
