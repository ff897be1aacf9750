"""Core: accounts, plugin switches and the audit log.

Revision ID: core_0001
Revises:
Created: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("email_verified_at", sa.DateTime(), nullable=True),
        sa.Column("session_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("role IN ('customer', 'agent', 'admin')", name=op.f("ck_portal_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_users")),
        sa.UniqueConstraint("email", name=op.f("uq_portal_users_email")),
    )
    op.create_index(op.f("ix_portal_users_created_at"), "portal_users", ["created_at"])
    op.create_table(
        "portal_plugin_states",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_plugin_states_changed_by_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_portal_plugin_states")),
    )
    op.create_table(
        "portal_audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["portal_users.id"],
            name=op.f("fk_portal_audit_events_actor_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_audit_events")),
    )
    op.create_index(op.f("ix_portal_audit_events_actor_id"), "portal_audit_events", ["actor_id"])
    op.create_index(op.f("ix_portal_audit_events_created_at"), "portal_audit_events", ["created_at"])
    op.create_index(op.f("ix_portal_audit_events_kind"), "portal_audit_events", ["kind"])


def downgrade() -> None:
    op.drop_table("portal_audit_events")
    op.drop_table("portal_plugin_states")
    op.drop_table("portal_users")
