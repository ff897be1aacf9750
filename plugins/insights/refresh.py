"""The scheduled refresh: read the events since the last run, and re-assess only who they concern.

Incremental and set-based (issue 16): each run reads the events stored since the last one, learns
the complaints among them, and re-assesses the customers they are about (each once, however many
events they had), the customers whose ``review_at`` has come (time alone changed something: a
silence, a complaint's target), and a batch of customers not yet assessed. Signals are gathered
``CHUNK`` customers to a statement, so a run's cost follows the customers it touches, not the
history: benchmarks/insights_refresh.py measures it.
Switched off, the plugin reads nothing; switched on again, it starts where it stopped and so
catches up with what it missed.

Two kinds of transaction can run beside a refresh, and neither loses anything to it:

- one that took an event id earlier but commits later (a slow request, an import): the refresh
  reads what is visible, but its cursor stops below a missing id that recent events sit above, so
  the next run reads from there again (reading twice changes nothing);
- a member of staff setting a stage by hand: the refresh moves a stage only from the one it read,
  and only while no override holds it, in one conditional UPDATE per move.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.orm import aliased

from portal.plugin import StoredEvent, User, db, rows_matched, utcnow

from . import events
from .models import Complaint, Profile, Progress, StageChange
from .rules import assess
from .settings import Thresholds, complaint_category, thresholds
from .signals import gather

CHUNK = 500
NEW_PER_RUN = 20_000
OPENED, RESOLVED, REOPENED = "tickets.created", "tickets.resolved", "tickets.reopened"
# How long a missing event id below newer events may still be a transaction yet to commit; after
# that it is taken for one that rolled back (or a removed row) and the cursor passes it.
SETTLING = timedelta(minutes=10)


@dataclass(frozen=True)
class RefreshReport:
    """What one run did, for the command's output and the benchmark."""

    events_read: int
    customers_assessed: int
    stages_changed: int


def refresh(now: datetime | None = None) -> RefreshReport:
    """One incremental run; the caller commits (the tick does)."""
    now = now or utcnow()
    limits = thresholds()
    progress = _progress()
    start = progress.last_event_id
    upto = db.session.scalar(select(func.max(StoredEvent.id)).where(StoredEvent.id > start))
    touched: set[int] = set()
    if upto is not None:
        _learn_complaints(start, upto)
        touched.update(
            db.session.scalars(
                select(StoredEvent.customer_id)
                .where(
                    StoredEvent.id > start,
                    StoredEvent.id <= upto,
                    StoredEvent.customer_id.is_not(None),
                    ~StoredEvent.name.startswith("insights."),
                )
                .distinct()
            )
        )
        progress.last_event_id = _settled_up_to(start, upto, now)
    touched.update(db.session.scalars(select(Profile.customer_id).where(Profile.review_at <= now)))
    touched.update(_not_yet_assessed())
    changed = assess_customers(sorted(touched), limits, now)
    return RefreshReport(
        events_read=(upto - start) if upto else 0, customers_assessed=len(touched), stages_changed=changed
    )


def assess_customers(
    customer_ids: Sequence[int], limits: Thresholds, now: datetime, announce: bool = True
) -> int:
    """Gather, assess and store each customer's profile; the number of stages the rules moved.

    Per chunk of customers: three statements gather, one reads the current profiles, and bulk
    statements write the profiles and stage changes. Only a moved stage costs a statement of its
    own, its ``insights.stage_changed`` event (unless ``announce`` is off: the first grading).
    """
    db.session.flush()  # an override just released is read below from the database
    changed = 0
    for first in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[first : first + CHUNK]
        current = {
            row.customer_id: row
            for row in db.session.execute(
                select(Profile.customer_id, Profile.stage, Profile.stage_overridden, Profile.grade).where(
                    Profile.customer_id.in_(chunk)
                )
            )
        }
        grades = {customer_id: row.grade for customer_id, row in current.items()}
        new_profiles, updates, history, moves = [], [], [], []
        for customer_id, gathered in gather(chunk, limits, now, grades).items():
            outcome = assess(gathered.signals, limits, now)
            figures = {
                "customer_id": customer_id,
                "at_risk": bool(outcome.reasons),
                "risk_reasons": outcome.reasons,
                "signals": gathered.signals.as_json(),
                "value": gathered.signals.value,
                "computed_at": now,
                "review_at": gathered.review_at,
            }
            before = current.get(customer_id)
            if before is None:
                new_profiles.append({**figures, "stage": outcome.stage, "stage_since": now, "grade": "C"})
                history.append(_change(customer_id, None, outcome.stage, now))
            elif not before.stage_overridden and before.stage != outcome.stage:
                moves.append((customer_id, figures, before.stage, outcome.stage))
            else:
                updates.append(figures)
        for customer_id, figures, old, new in moves:
            if not _move(figures, old, new, now):
                updates.append(figures)
                continue
            history.append(_change(customer_id, old, new, now))
            if announce:
                events.stage_changed(customer_id, old, new, actor_id=None)
            changed += 1
        _write(new_profiles, updates, history)
    return changed


def _move(figures: dict[str, object], old: str, new: str, now: datetime) -> bool:
    """Move the stage from the one read, unless staff set it meanwhile; whether it moved."""
    return bool(
        rows_matched(
            update(Profile)
            .where(
                Profile.customer_id == figures["customer_id"],
                Profile.stage == old,
                Profile.stage_overridden.is_(False),
            )
            .values({**figures, "stage": new, "stage_since": now})
            .execution_options(synchronize_session=False)
        )
    )


def _settled_up_to(start: int, upto: int, now: datetime) -> int:
    """Where the next run starts: ``upto``, or below the first missing id that recent events follow.

    Ids are taken when a row is inserted and become visible when its transaction commits, so a
    missing id below newer rows may be a transaction still running. Reading from below it again
    next time costs a few events read twice; passing it would lose the event for good.
    """
    following = aliased(StoredEvent)
    after_gap = db.session.scalar(
        select(func.min(StoredEvent.id)).where(
            StoredEvent.id > start + 1,
            StoredEvent.id <= upto,
            StoredEvent.created_at >= now - SETTLING,
            ~exists().where(following.id == StoredEvent.id - 1),
        )
    )
    if after_gap is None:
        return upto
    below = db.session.scalar(
        select(func.max(StoredEvent.id)).where(StoredEvent.id > start, StoredEvent.id < after_gap)
    )
    return below if below is not None else start


def _change(customer_id: int, old: str | None, new: str, now: datetime) -> dict[str, object]:
    return {"customer_id": customer_id, "old_stage": old, "new_stage": new, "reason": "", "created_at": now}


def _write(new_profiles: list[dict], updates: list[dict], history: list[dict]) -> None:
    """Bulk statements for a chunk; profiles already loaded in the session are told to read again."""
    if new_profiles:
        rows = [{"stage_overridden": False, **row} for row in new_profiles]
        db.session.execute(insert(Profile).execution_options(render_nulls=True), rows)
    for rows in _by_columns(updates).values():
        db.session.execute(update(Profile), rows)
    if history:
        db.session.execute(insert(StageChange).execution_options(render_nulls=True), history)
    written = {row["customer_id"] for row in new_profiles + updates}
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, Profile) and instance.customer_id in written:
            db.session.expire(instance)


def _by_columns(rows: list[dict]) -> dict[tuple[str, ...], list[dict]]:
    """Rows grouped by the columns they set: one bulk UPDATE sets the same columns in every row."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups


def rules_stage(customer_id: int, limits: Thresholds, now: datetime) -> str | None:
    """Where the rules would place the customer now, whatever an override says; None for a non-customer."""
    profile = db.session.get(Profile, customer_id)
    grades = {customer_id: profile.grade} if profile is not None else {}
    gathered = gather([customer_id], limits, now, grades).get(customer_id)
    return assess(gathered.signals, limits, now).stage if gathered is not None else None


def _progress() -> Progress:
    progress = db.session.get(Progress, 1)
    if progress is None:
        progress = Progress(id=1, last_event_id=0)
        db.session.add(progress)
        db.session.flush()
    return progress


def _not_yet_assessed() -> Iterable[int]:
    """Customers with no profile yet (accounts older than the plugin, or with no events at all)."""
    return db.session.scalars(
        select(User.id)
        .where(
            User.role == "customer",
            User.is_integration.is_(False),
            ~exists().where(Profile.customer_id == User.id),
        )
        .order_by(User.id)
        .limit(NEW_PER_RUN)
    )


def _learn_complaints(start: int, upto: int) -> None:
    """Keep the complaint tickets opened, resolved and reopened among the events in ``(start, upto]``.

    One read of those events, then bulk writes: the new complaints, and each known complaint's state
    after the last of its events (resolved at that moment, or open again).
    """
    rows = db.session.execute(
        select(StoredEvent.name, StoredEvent.payload, StoredEvent.customer_id, StoredEvent.created_at)
        .where(
            StoredEvent.id > start, StoredEvent.id <= upto, StoredEvent.name.in_((OPENED, RESOLVED, REOPENED))
        )
        .order_by(StoredEvent.id)
    ).all()
    category = complaint_category()
    opened: dict[int, dict[str, object]] = {}
    latest_state: dict[int, datetime | None] = {}
    for name, payload, customer_id, created_at in rows:
        ticket_id = payload.get("ticket_id")
        if not isinstance(ticket_id, int):
            continue
        if name == OPENED:
            if str(payload.get("category", "")).lower() == category and customer_id is not None:
                opened.setdefault(
                    ticket_id, {"ticket_id": ticket_id, "customer_id": customer_id, "opened_at": created_at}
                )
        else:
            latest_state[ticket_id] = created_at if name == RESOLVED else None
    known: set[int] = set()
    wanted = sorted(set(opened) | set(latest_state))
    for first in range(0, len(wanted), CHUNK):
        known.update(
            db.session.scalars(
                select(Complaint.ticket_id).where(Complaint.ticket_id.in_(wanted[first : first + CHUNK]))
            )
        )
    fresh = [
        {**row, "resolved_at": latest_state.get(ticket_id)}
        for ticket_id, row in opened.items()
        if ticket_id not in known
    ]
    if fresh:
        db.session.execute(insert(Complaint).execution_options(render_nulls=True), fresh)
    changes = [
        {"ticket_id": ticket_id, "resolved_at": resolved_at}
        for ticket_id, resolved_at in latest_state.items()
        if ticket_id in known
    ]
    if changes:
        db.session.execute(update(Complaint), changes)
