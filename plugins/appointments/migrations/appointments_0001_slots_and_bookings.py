"""Appointments plugin: slots staff offer and customers' bookings.

Revision ID: appointments_0001
Revises:
Created: 2026-12-04 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "appointments_0001"
down_revision = None
branch_labels = ("appointments",)
depends_on = "core_0008"


def upgrade() -> None:
    op.create_table(
        "appointments_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "booked >= 0 AND booked <= capacity", name=op.f("ck_appointments_slots_booked_within_capacity")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_appointments_slots_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["portal_users.id"],
            name=op.f("fk_appointments_slots_created_by_portal_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments_slots")),
    )
    with op.batch_alter_table("appointments_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointments_slots_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "appointments_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("booked_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("reminder_sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_appointments_bookings_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["appointments_slots.id"],
            name=op.f("fk_appointments_bookings_slot_id_appointments_slots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments_bookings")),
        sa.UniqueConstraint("slot_id", "customer_id", name=op.f("uq_appointments_bookings_slot_id")),
    )
    with op.batch_alter_table("appointments_bookings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointments_bookings_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_appointments_bookings_slot_id"), ["slot_id"], unique=False)
        batch_op.create_index(
            "ix_appointments_bookings_due_reminders", ["status", "reminder_sent_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("appointments_bookings")
    op.drop_table("appointments_slots")
