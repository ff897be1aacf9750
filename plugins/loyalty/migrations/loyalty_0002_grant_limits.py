"""Loyalty plugin: the goodwill limits become the per-role caps on every grant of points.

An administrator's chosen goodwill limits now cap purchases, imports and adjustments too, so they are
kept under names that say so.

Revision ID: loyalty_0002
Revises: loyalty_0001
Created: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0002"
down_revision = "loyalty_0001"
branch_labels = None
depends_on = None

RENAMED = {"goodwill_limit_agent": "grant_limit_agent", "goodwill_limit_admin": "grant_limit_admin"}
RENAME = sa.text("UPDATE portal_settings SET key = :new WHERE plugin = 'loyalty' AND key = :old")


def upgrade() -> None:
    for old, new in RENAMED.items():
        op.execute(RENAME.bindparams(old=old, new=new))


def downgrade() -> None:
    for old, new in RENAMED.items():
        op.execute(RENAME.bindparams(old=new, new=old))
