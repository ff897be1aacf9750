"""Domain events through an outbox: stored with the change that made them true, delivered after the commit.

``emit`` takes an instance of a declared event kind (portal/event_types.py) and refuses one its caller
does not own. It adds the event and one delivery row per enabled plugin that handles events to the
caller's transaction, each with its ``core.deliver_event`` job. After the commit each job hands the event
to its plugin's ``portal_handle_event``. A delivery is claimed, handled and marked delivered in one
transaction, so the handler's own writes and the mark commit together: an event delivered twice, or
after a crash, has one effect. A handler that raises fails its job, which is retried as every job is
(``RETRY_POLICY``); administrators see it with the other failed jobs at /staff/operations. The same
transaction queues the event's webhook deliveries (portal/webhooks).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import Model, db, rows_matched, utcnow
from portal.event_types import EVENT_NAME_MAX, DomainEvent, check_emitter, declared_events
from portal.jobs import PLUGIN_NAME_MAX, PluginSwitchedOffError, enqueue, json_copy, run_job_now, task
from portal.metrics import EVENT_HANDLER_FAILURES
from portal.plugin_manager import plugin_host
from portal.webhooks.delivery import queue_for_event

log = logging.getLogger(__name__)

DELIVER_TASK = "core.deliver_event"


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


class StoredEvent(Model):
    """The outbox: every event emitted, kept with the transaction that made it true."""

    __tablename__ = "portal_events"
    # A customer's timeline, newest first, from the first entries of one index (core_0011).
    __table_args__ = (Index("ix_portal_events_customer_id_id", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(EVENT_NAME_MAX))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
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


class EventDelivery(Model):
    """One event for one plugin: the job that carries it, and whether that plugin's handler has run it.

    Tries, backoff, errors and giving up are the job's (``portal_jobs``); this row is the exactly-once
    mark, set in the handler's own transaction.
    """

    __tablename__ = "portal_event_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("portal_events.id", ondelete="CASCADE"))
    plugin: Mapped[str] = mapped_column(String(PLUGIN_NAME_MAX))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("portal_jobs.id", ondelete="SET NULL"), index=True)
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
    for plugin in sorted(handling_plugins() & plugin_host().enabled()):
        job_id = enqueue(DELIVER_TASK, event_id=stored.id, plugin=plugin)
        db.session.add(EventDelivery(event_id=stored.id, plugin=plugin, job_id=job_id))
    queue_for_event(stored.id, stored.name, now, data, customer_id, actor_id)
    return stored.as_event()


@task(DELIVER_TASK)
def deliver_event(event_id: int, plugin: str) -> None:
    """The job of one delivery: hand the stored event to ``plugin`` unless it already has it.

    Each plugin's delivery is its own job, so one broken handler neither blocks nor repeats the
    others, and it is retried, given up and retried by hand as every job is. A plugin switched off
    since the event was emitted makes the job wait (``PluginSwitchedOffError``) until it is switched on.
    """
    stored = db.session.get(StoredEvent, event_id)
    if stored is None:
        return
    if plugin not in plugin_host().enabled():
        raise PluginSwitchedOffError(plugin)
    if plugin in handling_plugins():
        deliver(stored.as_event(), plugin)


def deliver(event: Event, plugin: str) -> bool:
    """Run one plugin's handler for ``event`` unless it already ran: exactly one effect, however often called.

    The delivery row is claimed with a conditional UPDATE (a row lock on PostgreSQL, the write lock on
    SQLite) that marks it delivered; the handler runs in the same transaction, and both commit
    together or not at all. A concurrent or repeated call finds it delivered, does nothing and
    returns ``False``. A handler's error rolls both back and is raised, for the job to retry.
    """
    claimed = rows_matched(
        update(EventDelivery)
        .where(
            EventDelivery.event_id == event.id,
            EventDelivery.plugin == plugin,
            EventDelivery.delivered_at.is_(None),
        )
        .values(delivered_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not claimed:
        db.session.rollback()
        return False
    host = plugin_host()
    handler = host.subset_caller("portal_handle_event", frozenset(host.installed) - {plugin})
    try:
        handler(event=event)
        db.session.commit()
    except Exception:
        db.session.rollback()
        EVENT_HANDLER_FAILURES.labels(plugin).inc()
        log.warning("The %s plugin failed to handle event %s (%s).", plugin, event.id, event.name)
        raise
    return True


# --- What ``portal events replay`` does ------------------------------------------------------------


@dataclass
class ReplayReport:
    """What ``portal events replay`` did, for its output."""

    delivered: int = 0
    failed: int = 0
    waiting: int = 0


def replay_undelivered(batch: int = 200) -> ReplayReport:
    """Deliver, here and now, every delivery not yet delivered, failed ones included, whatever their backoff.

    For an operator after an outage or a fixed handler: each delivery's job runs now (a failed one
    gets one more attempt). Deliveries to plugins that are switched off wait (and are counted as
    waiting); one delivered meanwhile, or whose job a worker is running, is not repeated.
    """
    report = ReplayReport()
    enabled = plugin_host().enabled()
    after = 0
    while True:
        rows = db.session.execute(
            select(EventDelivery.id, EventDelivery.event_id, EventDelivery.plugin, EventDelivery.job_id)
            .where(EventDelivery.delivered_at.is_(None), EventDelivery.id > after)
            .order_by(EventDelivery.id)
            .limit(batch)
        ).all()
        if not rows:
            return report
        for delivery_id, event_id, plugin, job_id in rows:
            after = delivery_id
            if plugin not in enabled:
                report.waiting += 1
                continue
            if job_id is None:
                job_id = _new_delivery_job(delivery_id, event_id, plugin)
            if not run_job_now(job_id):
                continue
            delivered = db.session.scalar(
                select(EventDelivery.delivered_at).where(EventDelivery.id == delivery_id)
            )
            if delivered is not None:
                report.delivered += 1
            else:
                report.failed += 1


def _new_delivery_job(delivery_id: int, event_id: int, plugin: str) -> int:
    """A job for a delivery that has none (its job row was deleted by hand), committed at once."""
    job_id = enqueue(DELIVER_TASK, event_id=event_id, plugin=plugin)
    db.session.execute(
        update(EventDelivery)
        .where(EventDelivery.id == delivery_id)
        .values(job_id=job_id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return job_id


def deliveries_of_jobs(job_ids: list[int]) -> dict[int, EventDelivery]:
    """The delivery each of these jobs carries (other tasks' jobs have none), so lists can name the event."""
    if not job_ids:
        return {}
    rows = db.session.scalars(select(EventDelivery).where(EventDelivery.job_id.in_(job_ids)))
    return {row.job_id: row for row in rows if row.job_id is not None}
