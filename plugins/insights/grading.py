"""Value grades A, B and C, by Pareto: the few customers who bring most of the value come first.

Value is the points a customer earned (goodwill and adjustments left out) within the window. Ranked
from the most, the customers whose cumulative value reaches the A share (80% by default) are grade
A, those up to the B share (95%) grade B, the rest, and everyone who earned nothing, grade C.
Computed for everyone once a day in one aggregate statement and one bulk update, because a
customer's grade moves when others' values do, and values leave the window as days pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from portal.plugin import StoredEvent, db, utcnow

from .models import Profile, Progress
from .refresh import assess_customers
from .settings import Thresholds, thresholds
from .signals import EARNED


@dataclass(frozen=True)
class GradeCut:
    """The smallest value that still made grade A, and grade B, at the last grading (for the rules page)."""

    a_from: int | None
    b_from: int | None


def grade_values(values: dict[int, int], limits: Thresholds) -> dict[int, str]:
    """Each customer's grade from their values: a pure function, tested on hand-made numbers."""
    total = sum(value for value in values.values() if value > 0)
    grades = dict.fromkeys(values, "C")
    if total <= 0:
        return grades
    running = 0
    for customer_id, value in sorted(values.items(), key=lambda item: (-item[1], item[0])):
        if value <= 0:
            break
        share_before = running * 100 / total
        running += value
        if share_before < limits.grade_a_share:
            grades[customer_id] = "A"
        elif share_before < limits.grade_b_share:
            grades[customer_id] = "B"
    return grades


def regrade(now: datetime | None = None) -> int:
    """Grade every assessed customer again, and place again those whose grade changed.

    Returns how many grades changed. The caller commits (the tick does).
    """
    now = now or utcnow()
    limits = thresholds()
    window_start = now - timedelta(days=limits.window_days)
    earned = db.session.execute(
        select(StoredEvent.customer_id, func.sum(StoredEvent.payload["points"].as_integer()))
        .where(
            StoredEvent.name == EARNED,
            StoredEvent.created_at >= window_start,
            StoredEvent.customer_id.is_not(None),
            StoredEvent.payload["kind"].as_string() == "earned",
        )
        .group_by(StoredEvent.customer_id)
    ).all()
    current = dict(db.session.execute(select(Profile.customer_id, Profile.grade)).tuples().all())
    values = dict.fromkeys(current, 0)
    values.update({customer_id: int(points or 0) for customer_id, points in earned if customer_id in current})
    grades = grade_values(values, limits)
    changes = [
        {"customer_id": customer_id, "grade": grade, "value": values[customer_id]}
        for customer_id, grade in grades.items()
    ]
    if changes:
        db.session.execute(update(Profile), changes)
    moved = [customer_id for customer_id, grade in grades.items() if current[customer_id] != grade]
    progress = db.session.get(Progress, 1)
    # The first grading finishes the first placement (everyone started at C): recorded, not announced.
    assess_customers(moved, limits, now, announce=progress is not None and progress.graded_at is not None)
    if progress is None:
        db.session.add(Progress(id=1, last_event_id=0, graded_at=now))
    else:
        progress.graded_at = now
    return len(moved)


def grade_cut() -> GradeCut:
    """The lowest value in grade A and in grade B now, so the rules page can say what each takes."""
    rows = dict(
        db.session.execute(
            select(Profile.grade, func.min(Profile.value))
            .where(Profile.grade.in_(("A", "B")))
            .group_by(Profile.grade)
        )
        .tuples()
        .all()
    )
    return GradeCut(a_from=rows.get("A"), b_from=rows.get("B"))
