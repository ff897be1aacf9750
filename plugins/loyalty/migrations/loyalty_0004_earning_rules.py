"""Loyalty plugin: earning rules replace the four hard-coded event awards and their settings.

Each former setting becomes a rule for its event with the portal's own number, so a portal that changed
the points keeps them; a setting at 0 (the award was off) becomes a switched-off rule. Downgrading
writes the rules' points back into the settings (0 for a switched-off or missing rule).

Revision ID: loyalty_0004
Revises: loyalty_0003
Created: 2026-12-04
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0004"
down_revision = "loyalty_0003"
branch_labels = None
depends_on = None

# setting → (event, points when the portal never changed the setting, reason stored on the entries)
FORMER_AWARDS = {
    "points_ticket_rated": ("tickets.rated", 10, "Rated a support ticket"),
    "points_survey_completed": ("surveys.completed", 20, "Completed a survey"),
    "points_email_verified": ("core.email_verified", 50, "Verified an email address"),
    "points_registered": ("core.registered", 0, "Joined the portal"),
}
POINTS_WHEN_OFF = 10  # a rule needs points to show the administrator who switches it on

settings = sa.table(
    "portal_settings",
    sa.column("plugin", sa.String()),
    sa.column("key", sa.String()),
    sa.column("value", sa.JSON()),
    sa.column("updated_at", sa.DateTime()),
)


def _rules_table() -> sa.Table:
    return op.create_table(
        "loyalty_earning_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_name", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("cap_count", sa.Integer(), nullable=True),
        sa.Column("cap_period", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(cap_count IS NULL AND cap_period IS NULL) "
            "OR (cap_count IS NOT NULL AND cap_period IS NOT NULL)",
            name=op.f("ck_loyalty_earning_rules_cap_complete"),
        ),
        sa.CheckConstraint(
            "cap_count IS NULL OR cap_count > 0", name=op.f("ck_loyalty_earning_rules_cap_count_positive")
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_loyalty_earning_rules_points_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_earning_rules")),
        sa.UniqueConstraint("event_name", name=op.f("uq_loyalty_earning_rules_event_name")),
    )


def _as_points(value: Any, default: int) -> int:  # a stored setting: whatever JSON held
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return default


def upgrade() -> None:
    rules = _rules_table()
    connection = op.get_bind()
    chosen = dict(
        connection.execute(
            sa.select(settings.c.key, settings.c.value).where(
                settings.c.plugin == "loyalty", settings.c.key.in_(list(FORMER_AWARDS))
            )
        )
        .tuples()
        .all()
    )
    now = connection.execute(sa.select(sa.func.current_timestamp())).scalar()
    rows = []
    for key, (event_name, default, reason) in FORMER_AWARDS.items():
        points = _as_points(chosen.get(key, default), default)
        rows.append(
            {
                "event_name": event_name,
                "points": points or default or POINTS_WHEN_OFF,
                "reason": reason,
                "active": points > 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    op.bulk_insert(rules, rows)
    connection.execute(
        sa.delete(settings).where(settings.c.plugin == "loyalty", settings.c.key.in_(list(FORMER_AWARDS)))
    )
    with op.batch_alter_table("loyalty_entries") as batch:
        batch.add_column(sa.Column("rule_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_loyalty_entries_rule_id_loyalty_earning_rules"),
            "loyalty_earning_rules",
            ["rule_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(
            "ix_loyalty_entries_user_id_rule_id_created_at", ["user_id", "rule_id", "created_at"]
        )


def downgrade() -> None:
    connection = op.get_bind()
    rules = sa.table(
        "loyalty_earning_rules",
        sa.column("event_name", sa.String()),
        sa.column("points", sa.Integer()),
        sa.column("active", sa.Boolean()),
    )
    active = dict(
        connection.execute(sa.select(rules.c.event_name, rules.c.points).where(rules.c.active)).tuples().all()
    )
    now = connection.execute(sa.select(sa.func.current_timestamp())).scalar()
    connection.execute(
        sa.delete(settings).where(settings.c.plugin == "loyalty", settings.c.key.in_(list(FORMER_AWARDS)))
    )
    op.bulk_insert(
        settings,
        [
            {"plugin": "loyalty", "key": key, "value": active.get(event_name, 0), "updated_at": now}
            for key, (event_name, _default, _reason) in FORMER_AWARDS.items()
        ],
    )
    with op.batch_alter_table("loyalty_entries") as batch:
        batch.drop_index("ix_loyalty_entries_user_id_rule_id_created_at")
        batch.drop_constraint(op.f("fk_loyalty_entries_rule_id_loyalty_earning_rules"), type_="foreignkey")
        batch.drop_column("rule_id")
    op.drop_table("loyalty_earning_rules")
