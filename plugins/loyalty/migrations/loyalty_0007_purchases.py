"""Loyalty plugin: a purchase's amount and receipt are kept beside the entry that credited it.

The ledger held a purchase's points but not what was paid, so purchases could not be exported for
the shop or the accounts to compare. Purchases credited before this revision get a row without an
amount, their receipt read back from the entry's source (``purchase:<receipt>``, and
``import:<receipt>`` from the former CSV import), so an export lists them all.

Revision ID: loyalty_0007
Revises: loyalty_0006
Created: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0007"
down_revision = "loyalty_0006"
branch_labels = None
depends_on = None

# Every source a purchase's entry was credited under, and where the receipt starts in it (0: none).
PURCHASE_SOURCES = {"purchase:": 10, "import:": 8, "purchase-key:": 0, "api-purchase:": 0}


def upgrade() -> None:
    op.create_table(
        "loyalty_purchases",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_entries.id"],
            name=op.f("fk_loyalty_purchases_entry_id_loyalty_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_loyalty_purchases")),
    )
    entries = sa.table(
        "loyalty_entries", sa.column("id", sa.Integer()), sa.column("kind", sa.String()), sa.column("source")
    )
    purchases = sa.table(
        "loyalty_purchases",
        sa.column("entry_id", sa.Integer()),
        sa.column("amount_cents", sa.Integer()),
        sa.column("reference", sa.String()),
    )
    for prefix, receipt_at in PURCHASE_SOURCES.items():
        starts = sa.func.substr(entries.c.source, 1, len(prefix)) == prefix
        receipt = sa.func.substr(entries.c.source, receipt_at, 60) if receipt_at else sa.literal("")
        op.execute(
            purchases.insert().from_select(
                ["entry_id", "amount_cents", "reference"],
                sa.select(entries.c.id, sa.null(), receipt).where(entries.c.kind == "earned", starts),
            )
        )


def downgrade() -> None:
    op.drop_table("loyalty_purchases")
