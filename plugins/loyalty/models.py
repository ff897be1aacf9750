"""Loyalty's tables: the append-only ledger, cached balances, earning rules, rewards, redemptions."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, translations_column, utcnow

MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"

KINDS = ("earned", "redeemed", "expired", "adjusted", "goodwill", "reversed")
REASON_MAX = 300
SOURCE_MAX = 120
EVENT_NAME_MAX = 100
REFERENCE_MAX = 60  # a receipt or order number
PERIODS = ("day", "week", "month", "year")


class Account(Model):
    """The cached balance of one customer, updated in the same transaction as every ledger entry."""

    __tablename__ = "loyalty_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), primary_key=True)
    balance: Mapped[int] = mapped_column(default=0)
    tier: Mapped[str] = mapped_column(String(20), default="bronze")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Entry(Model):
    """One change of points; never updated except ``remaining``, the unspent part of a credit (for expiry)."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        Index("ix_loyalty_entries_user_id_id", "user_id", "id"),
        # The newest entries of one kind, as the 360° page's goodwill list (loyalty_0009).
        Index("ix_loyalty_entries_user_id_kind_id", "user_id", "kind", "id"),
        Index("ix_loyalty_entries_user_id_created_at", "user_id", "created_at"),
        Index("ix_loyalty_entries_user_id_rule_id_created_at", "user_id", "rule_id", "created_at"),
        # The customer's lots with points left, for "expiring soon" (loyalty_0006).
        Index(
            "ix_loyalty_entries_user_id_expires_at_live",
            "user_id",
            "expires_at",
            sqlite_where=text("remaining > 0"),
            postgresql_where=text("remaining > 0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    points: Mapped[int]
    remaining: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str | None] = mapped_column(String(SOURCE_MAX), unique=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_earning_rules.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded: Mapped[bool] = mapped_column(default=False)
    # The ticket the points were given for (goodwill in a complaint's apology, loyalty_0008). A plain
    # number, not a foreign key: tickets are another plugin's, which may be off or erase the ticket.
    ticket_id: Mapped[int | None] = mapped_column(index=True)


class GoodwillRequest(Model):
    """Goodwill an agent sent to an administrator for approval, as the loyalty plugin knows it.

    The request itself is the core's; this row lets the ticket it was for say "waiting for approval"
    instead of offering the grant again. The entry credited on approval has the same ``source``, so
    a row with such an entry was approved; a declined one has ``declined_at``. Written with the
    request, in its transaction.
    """

    __tablename__ = "loyalty_goodwill_requests"

    source: Mapped[str] = mapped_column(String(SOURCE_MAX), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(index=True)
    points: Mapped[int]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An administrator declined it: the ticket says so, and offers the grant again.
    declined_at: Mapped[datetime | None] = mapped_column()


class Purchase(Model):
    """What a credited purchase was: its amount and its receipt, beside the entry that holds its points.

    Written with the entry (``awards.record_purchase``), so purchases can be exported as they were
    recorded. The amount is in cents, exact on every database; purchases credited before
    loyalty_0007 have none. The receipt's identity stays the entry's unique ``source``.
    """

    __tablename__ = "loyalty_purchases"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("loyalty_entries.id", ondelete="CASCADE"), primary_key=True
    )
    amount_cents: Mapped[int | None]
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), default="")


class DailyTotal(Model):
    """Points in and out per customer, UTC day and kind, so a year of them is at most 366 rows a kind.

    Written only by the database's triggers on ``loyalty_entries`` (loyalty_0006), in the entry's own
    transaction; read by totals.py; checked and rebuilt by ``portal loyalty reconcile``.
    """

    __tablename__ = "loyalty_daily_totals"

    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    gained: Mapped[int]
    spent: Mapped[int]


class EarningRule(Model):
    """Points paid for one declared event, at most ``cap_count`` times per customer per ``cap_period``.

    One rule per event name; rules are switched off, never deleted, so the entries they paid keep
    pointing at them and a cap counts the awards made before an edit.
    """

    __tablename__ = "loyalty_earning_rules"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("cap_count IS NULL OR cap_count > 0", name="cap_count_positive"),
        CheckConstraint(
            "(cap_count IS NULL AND cap_period IS NULL) "
            "OR (cap_count IS NOT NULL AND cap_period IS NOT NULL)",
            name="cap_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_name: Mapped[str] = mapped_column(String(EVENT_NAME_MAX), unique=True)
    points: Mapped[int]
    cap_count: Mapped[int | None]
    cap_period: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reward(Model):
    """Something in the catalogue a customer can redeem points for."""

    __tablename__ = "loyalty_rewards"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("cost > 0", name="cost_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    image_key: Mapped[str | None] = mapped_column(String(300))
    cost: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    per_customer_limit: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    min_tier: Mapped[str] = mapped_column(String(20), default="bronze")
    translations: Mapped[dict[str, dict[str, str]] | None] = translations_column()
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Redemption(Model):
    """A reward a customer redeemed, with its voucher code; cancelling it gives the points back."""

    __tablename__ = "loyalty_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), index=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("loyalty_rewards.id", ondelete="RESTRICT"), index=True)
    points: Mapped[int]
    voucher_code: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
