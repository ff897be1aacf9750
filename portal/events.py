"""Domain events through an outbox: stored with the change that made them true, delivered after the commit.

``emit`` takes an instance of a declared event kind (portal/event_types.py) and refuses one its caller
does not own. It adds the event and one delivery row per enabled plugin that handles events to the
caller's transaction, plus a ``core.deliver_event`` job. After the commit the job hands the event to each of
those plugins' ``portal_handle_event``. A delivery is claimed, handled and marked delivered in one
transaction, so the handler's own writes and the mark commit together: an event delivered twice, or
after a crash, has one effect. A handler that raises leaves its delivery failed, with the error, and
``portal tick`` tries it again with backoff; administrators see it at /staff/operations.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import db, utcnow
from portal.event_types import EVENT_NAME_MAX, DomainEvent, check_emitter, declared_events
from portal.jobs import backoff, describe_error, enqueue, json_copy, task
from portal.plugin_manager import plugin_host

log = logging.getLogger(__name__)

PLUGIN_NAME_MAX = 64
DELIVER_TASK = "core.deliver_event"
MAX_DELIVERY_ATTEMPTS = 10
DELIVERY_RETRY_BASE = timedelta(minutes=1)
DELIVERY_RETRY_CAP = timedelta(hours=6)
# A delivery still waiting this long after it was handed out is handed out again by ``portal tick``.
REDELIVER_AFTER = timedelta(minutes=5)
DELIVERY_STATUSES = ("pending", "delivered", "failed")

Outcome = Literal["delivered", "failed", "skipped"]


@dataclass(frozen=True)
class Event:
    """What a plugin's ``portal_handle_event`` receives: one thing that happened, as it was stored.

    ``data`` is the typed event its owner declared (read ``event.data.ticket_id``), rebuilt from the
    stored ``payload``; ``fact`` is the business fact it records (``rated:42``): key effects that must
    happen once per fact on it, so the same fact emitted twice has one effect. Both are ``None`` for
    an event whose kind is no longer declared (its plugin was uninstalled). ``id`` is unique to this
    emission. ``customer_id`` is the customer the event is about, ``actor_id`` who made it happen
    (both may be ``None``).
    """

    id: int
    name: str
    payload: dict[str, Any]
    customer_id: int | None
    actor_id: int | None
    created_at: datetime
    data: DomainEvent | None = None
    fact: str | None = None


class StoredEvent(db.Model):
    """The outbox: every event emitted, kept with the transaction that made it true."""

    __tablename__ = "portal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(EVENT_NAME_MAX))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def as_event(self) -> Event:
        """A detached, typed copy for one handler, so no handler can change what another receives."""
        data = declared_events().rebuild(self.name, copy.deepcopy(self.payload))
        return Event(
            id=self.id,
            name=self.name,
            payload=copy.deepcopy(self.payload),
            customer_id=self.customer_id,
            actor_id=self.actor_id,
            created_at=self.created_at,
            data=data,
            fact=data.fact if data is not None else None,
        )


class EventDelivery(db.Model):
    """One event for one plugin: whether that plugin's handler has run it, and how the tries went."""

    __tablename__ = "portal_event_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "plugin"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("portal_events.id", ondelete="CASCADE"))
    plugin: Mapped[str] = mapped_column(String(PLUGIN_NAME_MAX))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None] = mapped_column()

    event: Mapped[StoredEvent] = relationship(lazy="joined", innerjoin=True)


def handling_plugins() -> frozenset[str]:
    """The installed plugins that implement ``portal_handle_event``."""
    hook = plugin_host().manager.hook.portal_handle_event
    return frozenset(impl.plugin_name for impl in hook.get_hookimpls())


def emit(event: DomainEvent, customer_id: int | None = None, actor_id: int | None = None) -> Event:
    """Record that something happened, in the caller's transaction; plugins hear of it after the commit.

    Storing the event with the change that made it true means an event is never announced for a
    change that rolled back, nor lost for one that committed. ``event`` is an instance of a kind
    declared by the caller's own plugin (or by the core, for ``core.*``): anything else raises
    ``EventContractError``, so no plugin can pass itself off as another. Its fields are stored as
    JSON. Do not commit for it: the caller's own commit (or rollback) decides. Returns the event as
    handlers will receive it.
    """
    check_emitter(event, sys._getframe(1).f_globals.get("__name__", ""))
    return record_event(event, customer_id=customer_id, actor_id=actor_id)


def record_event(event: DomainEvent, customer_id: int | None = None, actor_id: int | None = None) -> Event:
    """Store a declared event and its deliveries without asking who calls: ``emit`` after its checks.

    Only ``emit`` and the test helper ``portal.testing.events.emit_as_owner`` call this.
    """
    data = json_copy(dataclasses.asdict(event), f"The payload of {event.name}")
    now = utcnow()
    stored = StoredEvent(
        name=event.name, payload=data, customer_id=customer_id, actor_id=actor_id, created_at=now
    )
    db.session.add(stored)
    db.session.flush()
    recipients = sorted(handling_plugins() & plugin_host().enabled())
    for plugin in recipients:
        db.session.add(
            EventDelivery(
                event_id=stored.id,
                plugin=plugin,
                status="pending",
                attempts=0,
                next_attempt_at=now + REDELIVER_AFTER,
            )
        )
    if recipients:
        enqueue(DELIVER_TASK, event_id=stored.id)
    return stored.as_event()


@task(DELIVER_TASK)
def deliver_event(event_id: int, plugins: list[str] | None = None) -> None:
    """Hand one stored event to each plugin still waiting for it (or only to ``plugins``).

    Each plugin's delivery is its own transaction with its own outcome, so one broken handler neither
    blocks nor repeats the others. A plugin switched off since the event was emitted keeps its
    delivery pending until it is switched on again.
    """
    stored = db.session.get(StoredEvent, event_id)
    if stored is None:
        return
    query = select(EventDelivery.plugin).where(
        EventDelivery.event_id == event_id, EventDelivery.status != "delivered"
    )
    if plugins is not None:
        query = query.where(EventDelivery.plugin.in_(plugins))
    waiting = db.session.scalars(query.order_by(EventDelivery.plugin)).all()
    reachable = handling_plugins() & plugin_host().enabled()
    for plugin in waiting:
        if plugin in reachable:
            deliver(stored.as_event(), plugin)


def deliver(event: Event, plugin: str) -> Outcome:
    """Run one plugin's handler for ``event`` unless it already ran: exactly one effect, however often called.

    The delivery row is claimed with a conditional UPDATE (a row lock on PostgreSQL, the write lock on
    SQLite) that marks it delivered; the handler runs in the same transaction, and both commit
    together or not at all. A concurrent or repeated call finds it delivered and does nothing.
    """
    mine = (EventDelivery.event_id == event.id, EventDelivery.plugin == plugin)
    claimed = db.session.execute(
        update(EventDelivery)
        .where(*mine, EventDelivery.status != "delivered")
        .values(
            status="delivered",
            attempts=EventDelivery.attempts + 1,
            delivered_at=utcnow(),
            next_attempt_at=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return "skipped"
    host = plugin_host()
    handler = host.subset_caller("portal_handle_event", frozenset(host.installed) - {plugin})
    try:
        handler(event=event)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("The %s plugin failed to handle event %s (%s).", plugin, event.id, event.name)
        _record_failure(event.id, plugin, describe_error(error))
        return "failed"
    return "delivered"


def _record_failure(event_id: int, plugin: str, error_text: str) -> None:
    mine = (EventDelivery.event_id == event_id, EventDelivery.plugin == plugin)
    failed = db.session.execute(
        update(EventDelivery)
        .where(*mine, EventDelivery.status != "delivered")
        .values(status="failed", attempts=EventDelivery.attempts + 1, last_error=error_text)
        .execution_options(synchronize_session=False)
    ).rowcount
    if failed:
        attempts = db.session.scalar(select(EventDelivery.attempts).where(*mine)) or 0
        retry_at = None
        if attempts < MAX_DELIVERY_ATTEMPTS:
            retry_at = utcnow() + backoff(attempts, DELIVERY_RETRY_BASE, DELIVERY_RETRY_CAP)
        db.session.execute(
            update(EventDelivery)
            .where(*mine)
            .values(next_attempt_at=retry_at)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


# --- What ``portal tick``, ``portal events replay`` and administrators do ------------------------


def redispatch_due_deliveries(now: datetime, limit: int = 1000) -> int:
    """Queue a delivery job for each delivery that is due again: a retry, or one lost after the commit.

    Only deliveries to enabled plugins are taken, each with a conditional UPDATE of its
    ``next_attempt_at``, so two ticks at once queue it once. The caller commits.
    """
    reachable = handling_plugins() & plugin_host().enabled()
    due = (
        EventDelivery.status != "delivered",
        EventDelivery.next_attempt_at <= now,
        EventDelivery.plugin.in_(reachable),
    )
    rows = db.session.execute(
        select(EventDelivery.id, EventDelivery.event_id, EventDelivery.plugin)
        .where(*due)
        .order_by(EventDelivery.id)
        .limit(limit)
    ).all()
    queued = 0
    for delivery_id, event_id, plugin in rows:
        taken = db.session.execute(
            update(EventDelivery)
            .where(EventDelivery.id == delivery_id, *due)
            .values(next_attempt_at=now + REDELIVER_AFTER)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            enqueue(DELIVER_TASK, event_id=event_id, plugins=[plugin])
            queued += 1
    return queued


@dataclass
class ReplayReport:
    """What ``portal events replay`` did, for its output."""

    delivered: int = 0
    failed: int = 0
    waiting: int = 0


def replay_undelivered(batch: int = 200) -> ReplayReport:
    """Deliver, here and now, every delivery not yet delivered, failed ones included, whatever their backoff.

    For an operator after an outage or a fixed handler. Deliveries to plugins that are switched off
    wait (and are counted as waiting); one delivered meanwhile by a worker is not repeated.
    """
    report = ReplayReport()
    reachable = handling_plugins() & plugin_host().enabled()
    after = 0
    while True:
        rows = db.session.execute(
            select(EventDelivery.id, EventDelivery.event_id, EventDelivery.plugin)
            .where(EventDelivery.status != "delivered", EventDelivery.id > after)
            .order_by(EventDelivery.id)
            .limit(batch)
        ).all()
        if not rows:
            return report
        for delivery_id, event_id, plugin in rows:
            after = delivery_id
            if plugin not in reachable:
                report.waiting += 1
                continue
            stored = db.session.get(StoredEvent, event_id)
            outcome = deliver(stored.as_event(), plugin) if stored is not None else "skipped"
            if outcome == "delivered":
                report.delivered += 1
            elif outcome == "failed":
                report.failed += 1


def retry_delivery(delivery_id: int) -> bool:
    """An administrator's "try again now" for a failed delivery; ``False`` when there is none to retry.

    The attempt count goes on. The caller commits; the delivery job goes out after that.
    """
    delivery = db.session.get(EventDelivery, delivery_id)
    if delivery is None or delivery.status != "failed":
        return False
    delivery.next_attempt_at = utcnow() + REDELIVER_AFTER
    enqueue(DELIVER_TASK, event_id=delivery.event_id, plugins=[delivery.plugin])
    return True


def failed_deliveries(before: int | None, limit: int) -> list[EventDelivery]:
    """Failed deliveries (retrying or given up), newest first, ``limit`` at a time below the id ``before``."""
    query = (
        select(EventDelivery)
        .where(EventDelivery.status == "failed")
        .order_by(EventDelivery.id.desc())
        .limit(limit)
    )
    if before:
        query = query.where(EventDelivery.id < before)
    return list(db.session.scalars(query))
