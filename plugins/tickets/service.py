"""What happens to a ticket: opening, replying, changing status, rating, closing by itself.

Views check who may act and load the ticket through a scoped query; these functions make the change,
emit the events and send the notifications in the caller's transaction. The caller commits.

Every change that pays, notifies or counts is compare-and-set: one conditional UPDATE whose WHERE
holds the state the change starts from, and the events are emitted only when that UPDATE changed
the row. Of several requests racing for one change (two tabs, two agents, two ``portal tick``
runs) exactly one wins; the others change nothing and are told so.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, exists, or_, select, update

from portal.plugin import (
    NotificationError,
    User,
    db,
    external_url,
    get_setting,
    notify,
    reply_address,
    rows_matched,
    scope_for,
    utcnow,
)

from . import events, history, mentions, rating_links
from .labels import STATUS_LABELS
from .models import ACTIVE_STATUSES, Message, Ticket
from .settings import target_hours

RATEABLE_STATUSES = ("resolved", "closed")


def open_ticket(
    customer: User,
    *,
    subject: str,
    body: str,
    category: str,
    priority: str,
    request_token: str | None = None,
    channel: str = "web",
    opened_by: User | None = None,
) -> tuple[Ticket, Message]:
    """Open a ticket with its first message; the form's one-time key makes a second copy fail.

    ``channel`` says how it reached us (``models.CHANNELS``): the form, an email, a call, the counter.
    ``opened_by`` is the agent who opened it for the customer (phone, counter): the ticket keeps
    them, the first message (the customer's request in the agent's words, ``from_staff`` False, so
    it is neither an answer nor a first response) has them as author, and the event as actor.

    The key is unique per customer, so the same form sent twice at once raises ``IntegrityError``
    on the second insert before anything is emitted: see ``find_opened_ticket``.
    """
    now = utcnow()
    first, resolution = target_hours(priority)
    ticket = Ticket(
        customer_id=customer.id,
        subject=subject,
        category=category,
        priority=priority,
        status="new",
        created_at=now,
        updated_at=now,
        first_response_due=now + timedelta(hours=first),
        resolution_due=now + timedelta(hours=resolution),
        request_token=request_token or None,
        channel=channel,
        opened_by_id=opened_by.id if opened_by else None,
    )
    db.session.add(ticket)
    db.session.flush()
    author = opened_by or customer
    message = Message(ticket_id=ticket.id, author_id=author.id, body=body, created_at=now)
    db.session.add(message)
    db.session.flush()
    events.created(ticket, author.id)
    return ticket, message


def find_opened_ticket(customer_id: int, token: str | None) -> Ticket | None:
    """The ticket a new-ticket form with this one-time key already opened, so a retry leads to it."""
    if not token:
        return None
    return db.session.scalar(
        select(Ticket).where(Ticket.customer_id == customer_id, Ticket.request_token == token)
    )


def _compare_and_set(ticket: Ticket, *conditions: ColumnElement[bool], **values: Any) -> bool:
    """One conditional UPDATE of ``ticket``; True only when this statement changed the row.

    The database checks ``conditions`` in the statement that writes, so no other request can slip
    in between a check and the write. ``ticket`` is reloaded either way, to show what is stored now.
    """
    result = rows_matched(
        update(Ticket)
        .where(Ticket.id == ticket.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(ticket)
    return result == 1


def find_reply(ticket: Ticket, token: str) -> Message | None:
    """The message a reply form with this one-time key already stored, so a retry stores nothing."""
    if not token:
        return None
    return db.session.scalar(
        select(Message).where(Message.ticket_id == ticket.id, Message.request_token == token)
    )


def add_reply(ticket: Ticket, author: User, body: str, *, token: str = "", internal: bool = False) -> Message:
    """A reply (or staff note); the same form token posted twice gives back the first message."""
    existing = find_reply(ticket, token)
    if existing is not None:
        return existing
    now = utcnow()
    staff = author.is_staff
    message = Message(
        ticket_id=ticket.id,
        author_id=author.id,
        from_staff=staff,
        internal=internal and staff,
        body=body,
        request_token=token or None,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    if message.internal:
        events.noted(ticket, author.id, mentions.mentioned_staff_ids(body))
        return message
    ticket.updated_at = now
    events.replied(ticket, author.id, staff=staff)
    if staff:
        # The SLA clock stops at the first staff reply, and only the first one sets it.
        _compare_and_set(ticket, Ticket.first_response_at.is_(None), first_response_at=now)
        if ticket.status == "new":
            change_status(ticket, "open", author, notify_customer=False)
        _notify(
            ticket,
            "tickets.reply",
            _l("New reply to your ticket “%(subject)s”", subject=ticket.subject[:120]),
            body[:300],
        )
    elif ticket.status in ("waiting", "resolved"):
        change_status(ticket, "open", author, notify_customer=False)
    return message


def change_status(
    ticket: Ticket,
    new: str,
    actor: User | None,
    *conditions: ColumnElement[bool],
    notify_customer: bool = True,
) -> bool:
    """Move ``ticket`` from the status it was read in to ``new``; False when it is not there any more.

    Compare-and-set on that status (and on any extra ``conditions``): of several requests racing to
    close, reopen or resolve one ticket, one changes it and only that one emits the events and
    notifies the customer. ``actor`` is None for the scheduled close.
    """
    old = ticket.status
    if old == new:
        return False
    now = utcnow()
    values: dict[str, Any] = {"status": new, "updated_at": now}
    if new == "resolved":
        values["resolved_at"] = now
    elif new == "closed":
        values["closed_at"] = now
    else:
        values["resolved_at"] = None
        values["closed_at"] = None
    if not _compare_and_set(ticket, Ticket.status == old, *conditions, **values):
        return False
    events.status_changed(ticket, actor.id if actor else None, old, new)
    history.record(ticket, "status", actor.id if actor else None, old, new)
    if notify_customer and actor is not None and actor.is_staff:
        _notify(
            ticket,
            "tickets.status",
            _l(
                "Your ticket “%(subject)s” is now: %(status)s",
                subject=ticket.subject[:120],
                status=STATUS_LABELS[new],  # lazy: told in the customer's language
            ),
            # The resolution mail lets the customer rate with one click (rating_links.py).
            actions=rating_links.rating_actions(ticket) if new == "resolved" and can_rate(ticket) else (),
        )
    return True


def assign(ticket: Ticket, assignee_id: int | None, actor: User | None = None) -> None:
    """Give the ticket to a member of staff, or to nobody; the last agent to choose wins.

    A change of assignee is kept in the ticket's history with ``actor`` as who made it.
    """
    before = ticket.assignee_id
    ticket.assignee_id = assignee_id
    ticket.updated_at = utcnow()
    if before != assignee_id:
        history.record(ticket, "assigned", actor.id if actor else None, before, assignee_id)
        events.assigned(ticket, actor.id if actor else None, before)


def change_priority(ticket: Ticket, priority: str, actor: User) -> bool:
    """Staff set the ticket's priority; kept in its history. False when it already had it.

    The response targets stay as they were set when the ticket was opened.
    """
    before = ticket.priority
    if before == priority:
        return False
    ticket.priority = priority
    ticket.updated_at = utcnow()
    history.record(ticket, "priority", actor.id, before, priority)
    return True


def change_category(ticket: Ticket, category: str, actor: User) -> bool:
    """Staff file the ticket under another category; kept in its history. False when it already was."""
    before = ticket.category
    if before == category:
        return False
    ticket.category = category
    ticket.updated_at = utcnow()
    history.record(ticket, "category", actor.id, before, category)
    return True


def change_many(ids: Sequence[int], actor: User, *, status: str = "", assignee: str = "") -> int:
    """Give these tickets a new status and/or assignee ("none" for nobody); returns how many changed.

    Each status change is compare-and-set: a ticket changed meanwhile by someone else is left alone.
    """
    changed = 0
    for ticket in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids))).all():
        touched = False
        if assignee:
            assign(ticket, None if assignee == "none" else int(assignee), actor)
            touched = True
        if status and change_status(ticket, status, actor):
            touched = True
        changed += touched
    return changed


def can_reopen(ticket: Ticket, now: datetime | None = None) -> bool:
    """Resolved or closed within the administrator's reopen period: after it, a new ticket is asked for."""
    if ticket.status not in ("resolved", "closed") or ticket.merged_into_id is not None:
        return False  # a merged ticket lives on in the one it was merged into
    since = ticket.closed_at or ticket.resolved_at or ticket.updated_at
    days = int(get_setting("tickets", "reopen_days"))
    return (now or utcnow()) - since <= timedelta(days=days)


def staff_answered() -> ColumnElement[bool]:
    """The ticket has a staff reply the customer saw: what a rating rates, so only then may they rate."""
    return exists(
        select(Message.id).where(
            Message.ticket_id == Ticket.id, Message.from_staff.is_(True), Message.internal.is_(False)
        )
    )


def has_staff_answer(ticket: Ticket) -> bool:
    """Whether ``ticket`` has a staff reply the customer saw (internal notes do not count)."""
    return bool(db.session.scalar(select(staff_answered()).where(Ticket.id == ticket.id)))


def can_rate(ticket: Ticket, seen: Sequence[Message] | None = None) -> bool:
    """Resolved or closed, not rated yet, and answered by staff: the page offers the form only then.

    ``seen`` is the conversation the customer's page already read (internal notes left out): a staff
    message in it is the answer, so the page does not ask the database again.
    """
    if ticket.status not in RATEABLE_STATUSES or ticket.rating is not None:
        return False
    if seen is not None:
        return any(message.from_staff for message in seen)
    return has_staff_answer(ticket)


def rate(ticket: Ticket, actor: User, rating: int, comment: str) -> bool:
    """Store the customer's one rating; True only for the request that stored it.

    ``tickets.rated`` pays points, so the rules are in the one UPDATE that writes the rating: not
    rated yet, resolved or closed, answered by staff, within the actor's scope. Twenty tabs posting
    at once store one rating and emit one event.
    """
    stored = _compare_and_set(
        ticket,
        Ticket.rating.is_(None),
        Ticket.status.in_(RATEABLE_STATUSES),
        Ticket.customer_id.in_(scope_for(actor).customer_ids()),
        staff_answered(),
        rating=rating,
        rating_comment=comment or None,
        rated_at=utcnow(),
    )
    if stored:
        events.rated(ticket, actor.id)
        history.record(ticket, "rated", actor.id, None, rating)
    return stored


def _notify(
    ticket: Ticket, kind: str, title: object, body: str = "", actions: Sequence[tuple[object, str]] = ()
) -> None:
    customer = db.session.get(User, ticket.customer_id)
    if customer is None:
        return
    # The reply or change itself must never be lost because a notice could not be stored.
    with suppress(NotificationError):
        notify(
            customer,
            kind,
            title=title,
            body=body,
            # A path built without a request: a reply that came by mail has none (mail_replies.py).
            url=urlsplit(external_url("tickets.show", ticket_id=ticket.id)).path,
            # Answering the mail adds a reply to the ticket (mail_replies.py).
            reply_to=reply_address("tickets", str(ticket.id), customer.email),
            actions=actions,
        )


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Active and past a target: the first response not given in time, or the resolution late."""
    return and_(
        Ticket.status.in_(ACTIVE_STATUSES),
        or_(
            and_(Ticket.first_response_at.is_(None), Ticket.first_response_due < now),
            Ticket.resolution_due < now,
        ),
    )


def autoclose() -> None:
    """Close tickets resolved longer ago than the administrator's setting (run by ``portal tick``)."""
    days = int(get_setting("tickets", "autoclose_days"))
    cutoff = utcnow() - timedelta(days=days)
    stale = db.session.scalars(
        select(Ticket).where(Ticket.status == "resolved", Ticket.resolved_at < cutoff).limit(500)
    ).all()
    for ticket in stale:
        # Still resolved, and resolved long enough: a ticket reopened or re-resolved meanwhile stays.
        change_status(ticket, "closed", None, Ticket.resolved_at < cutoff, notify_customer=False)
