"""Core: a number every change to a plugin switch or setting raises, so workers may keep them between requests.

Triggers raise it, not the portal's code, so a change made any way (a plugin's migration, an UPDATE
typed by hand) reaches every worker at its next request (portal/configuration_cache.py).

Revision ID: core_0018
Revises: core_0017
Created: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0018"
down_revision = "core_0017"
branch_labels = None
depends_on = None

WATCHED = ("portal_plugin_states", "portal_settings")
RAISE = "UPDATE portal_configuration_generation SET generation = generation + 1"
SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "portal_configuration_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_configuration_generation")),
    )
    op.execute("INSERT INTO portal_configuration_generation (id, generation) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION portal_configuration_changed() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {RAISE}; RETURN NULL; END $$"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION portal_configuration_changed()"
            )
        return
    for table in WATCHED:
        for action in SQLITE_EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_{action.lower()}_changed AFTER {action} ON {table} "
                f"BEGIN {RAISE}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_changed ON {table}")
        op.execute("DROP FUNCTION portal_configuration_changed()")
    else:
        for table in WATCHED:
            for action in SQLITE_EVENTS:
                op.execute(f"DROP TRIGGER {table}_{action.lower()}_changed")
    op.drop_table("portal_configuration_generation")
