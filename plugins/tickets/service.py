"""What happens to a ticket: opening, replying, changing status, rating, closing by itself.

Views check who may act and load the ticket through a scoped query; these functions make the change,
emit the events and send the notifications in the caller's transaction. The caller commits.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from portal.plugin import NotificationError, User, db, get_setting, notify, utcnow

from . import events
from .forms import STATUS_LABELS
from .models import ACTIVE_STATUSES, Message, Ticket
from .settings import target_hours


def open_ticket(
    customer: User, *, subject: str, body: str, category: str, priority: str
) -> tuple[Ticket, Message]:
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
    )
    db.session.add(ticket)
    db.session.flush()
    message = Message(ticket_id=ticket.id, author_id=customer.id, body=body, created_at=now)
    db.session.add(message)
    db.session.flush()
    events.created(ticket, customer.id)
    return ticket, message


def find_reply(ticket: Ticket, token: str) -> Message | None:
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
        return message
    ticket.updated_at = now
    events.replied(ticket, author.id, staff=staff)
    if staff:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
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


def change_status(ticket: Ticket, new: str, actor: User, *, notify_customer: bool = True) -> bool:
    old = ticket.status
    if old == new:
        return False
    now = utcnow()
    ticket.status = new
    ticket.updated_at = now
    if new == "resolved":
        ticket.resolved_at = now
    elif new == "closed":
        ticket.closed_at = now
    else:
        ticket.resolved_at = None
        ticket.closed_at = None
    events.status_changed(ticket, actor.id, old, new)
    if notify_customer and actor.is_staff:
        _notify(
            ticket,
            "tickets.status",
            _l(
                "Your ticket “%(subject)s” is now: %(status)s",
                subject=ticket.subject[:120],
                status=STATUS_LABELS[new],
            ),
        )
    return True


def can_reopen(ticket: Ticket, now: datetime | None = None) -> bool:
    if ticket.status not in ("resolved", "closed"):
        return False
    since = ticket.closed_at or ticket.resolved_at or ticket.updated_at
    days = int(get_setting("tickets", "reopen_days"))
    return (now or utcnow()) - since <= timedelta(days=days)


def rate(ticket: Ticket, actor: User, rating: int, comment: str) -> None:
    ticket.rating = rating
    ticket.rating_comment = comment or None
    ticket.rated_at = utcnow()
    events.rated(ticket, actor.id)


def _notify(ticket: Ticket, kind: str, title: object, body: str = "") -> None:
    customer = db.session.get(User, ticket.customer_id)
    if customer is None:
        return
    # The reply or change itself must never be lost because a notice could not be stored.
    with suppress(NotificationError):
        notify(customer, kind, title=title, body=body, url=url_for("tickets.show", ticket_id=ticket.id))


def overdue_clause(now: datetime):  # type: ignore[no-untyped-def]
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
    now = utcnow()
    for ticket in stale:
        ticket.status = "closed"
        ticket.closed_at = now
        ticket.updated_at = now
        events.status_changed(ticket, None, "resolved", "closed")
