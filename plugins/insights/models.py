"""The insights plugin's tables, all named insights_*: what it has learnt about each customer.

Everything here is derived from the portal's events and accounts and can be rebuilt from them,
except a staff override of a stage and the history of stage changes, which record decisions.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, utcnow

MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"

REASON_MAX = 500


class Profile(Model):
    """One customer's stage, value grade and risk, with the signals they were decided from."""

    __tablename__ = "insights_profiles"
    __table_args__ = (
        # The at-risk list, most valuable first, and the segments by stage and by grade.
        Index("ix_insights_profiles_at_risk_value", "at_risk", "value", "customer_id"),
        Index("ix_insights_profiles_stage", "stage"),
        Index("ix_insights_profiles_grade", "grade"),
        Index("ix_insights_profiles_review_at", "review_at"),
    )

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("portal_users.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(16))
    # A member of staff set the stage by hand: the rules leave it alone until they hand it back.
    stage_overridden: Mapped[bool] = mapped_column(default=False)
    stage_since: Mapped[datetime] = mapped_column(default=utcnow)
    grade: Mapped[str] = mapped_column(String(1), default="C")
    # Points earned (not given as goodwill) in the grading window: what the grade ranks.
    value: Mapped[int] = mapped_column(default=0)
    at_risk: Mapped[bool] = mapped_column(default=False)
    # Each reason as {"code": ..., and the numbers its sentence needs}: rules.describe_reason words it.
    risk_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The figures the rules read, kept so the panel can show why (rules.Signals, as JSON).
    signals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the passing of time alone could change the outcome (a silence reaching its limit, a
    # complaint its target, a purchase leaving the window): the refresh looks again then.
    review_at: Mapped[datetime | None] = mapped_column()


class StageChange(Model):
    """A customer moved from one stage to another, by the rules or by a member of staff with a reason."""

    __tablename__ = "insights_stage_changes"
    __table_args__ = (Index("ix_insights_stage_changes_customer_id_id", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    old_stage: Mapped[str | None] = mapped_column(String(16))
    new_stage: Mapped[str] = mapped_column(String(16))
    # None: the rules moved it. Otherwise the member of staff who set or released an override.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Complaint(Model):
    """A ticket in the complaint category, open until its resolution; learnt from the tickets' events."""

    __tablename__ = "insights_complaints"
    __table_args__ = (Index("ix_insights_complaints_customer_id", "customer_id", "resolved_at"),)

    ticket_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    opened_at: Mapped[datetime] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()


class Progress(Model):
    """How far the plugin has read the events, and when it last graded: one row, id 1."""

    __tablename__ = "insights_progress"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_event_id: Mapped[int] = mapped_column(default=0)
    graded_at: Mapped[datetime | None] = mapped_column()
