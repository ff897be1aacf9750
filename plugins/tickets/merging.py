"""Merging duplicate tickets into one, and splitting a message off into a ticket of its own.

Both move rows (messages, their files, people in copy) from one ticket to another with one UPDATE
each, so every message ends up on exactly one ticket. Both are compare-and-set: a merge claims the
source (not merged yet) and the target (not merged away) in one conditional UPDATE each, taken in
the order of their ids so two agents merging at once, even in opposite directions, queue on the
same row and one of them is refused; a split moves the message only while it is still on the ticket.
The caller commits, or rolls back when ``MergeError`` is raised.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from portal.plugin import User, db, rows_matched, utcnow

from . import events, history, service
from .models import SUBJECT_MAX, Attachment, Message, Ticket
from .settings import target_hours
from .watchers import TicketWatcher


class MergeError(Exception):
    """The merge or split cannot be made; the message says why, for the agent who asked."""


def merge(source: Ticket, target_id: int, actor: User) -> Ticket:
    """Merge ``source`` into the ticket ``target_id`` of the same customer; returns the target.

    The source's messages, files and people in copy move to the target, each once; the source is
    closed and points at the target (old links lead there), both keep a history row, and the target
    gets an internal note saying what was merged into it.
    """
    target = db.session.get(Ticket, target_id)
    _check_merge(source, target_id, target)
    assert target is not None  # _check_merge refused a missing target
    now = utcnow()
    for ticket in sorted((source, target), key=lambda t: t.id):
        if ticket is source:
            claimed = _claim(source, merged_into_id=target.id, updated_at=now)
        else:
            claimed = _claim(target, updated_at=now)
        if not claimed:
            raise MergeError(_("Someone merged one of these tickets a moment ago; nothing was changed."))
    _move_conversation(source, target)
    if source.status != "closed":
        service.change_status(source, "closed", actor, notify_customer=False)
    history.record(source, "merged_into", actor.id, None, target.id)
    history.record(target, "merged_in", actor.id, None, source.id)
    service.add_reply(
        target,
        actor,
        _(
            "Ticket #%(number)d “%(subject)s” was merged into this one.",
            number=source.id,
            subject=source.subject,
        ),
        internal=True,
    )
    return target


def _check_merge(source: Ticket, target_id: int, target: Ticket | None) -> None:
    if target_id == source.id:
        raise MergeError(_("A ticket cannot be merged into itself."))
    if source.merged_into_id is not None:
        raise MergeError(
            _("This ticket was already merged into ticket #%(number)d.", number=source.merged_into_id)
        )
    if target is None:
        raise MergeError(_("There is no ticket #%(number)d.", number=target_id))
    if target.customer_id != source.customer_id:
        raise MergeError(
            _(
                "Ticket #%(number)d belongs to another customer: "
                "only tickets of the same customer can be merged.",
                number=target_id,
            )
        )
    if target.merged_into_id is not None:
        raise MergeError(
            _(
                "Ticket #%(number)d was itself merged into ticket #%(other)d: merge into that one instead.",
                number=target_id,
                other=target.merged_into_id,
            )
        )


def _claim(ticket: Ticket, **values: object) -> bool:
    """Write ``values`` to the ticket only while it is not merged away; True when this request did."""
    matched = rows_matched(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.merged_into_id.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(ticket)
    return matched == 1


def _move_conversation(source: Ticket, target: Ticket) -> None:
    """Messages, files and people in copy move from ``source`` to ``target``, each exactly once.

    A moved message drops its form key (unique per ticket), which only guarded the form that sent
    it; an address already in copy on the target stays there once.
    """
    _execute(
        update(Message).where(Message.ticket_id == source.id).values(ticket_id=target.id, request_token=None)
    )
    _execute(update(Attachment).where(Attachment.ticket_id == source.id).values(ticket_id=target.id))
    on_target = select(TicketWatcher.email).where(TicketWatcher.ticket_id == target.id)
    _execute(
        delete(TicketWatcher).where(TicketWatcher.ticket_id == source.id, TicketWatcher.email.in_(on_target))
    )
    _execute(update(TicketWatcher).where(TicketWatcher.ticket_id == source.id).values(ticket_id=target.id))


def _execute(statement: object) -> None:
    db.session.execute(statement.execution_options(synchronize_session=False))  # type: ignore[attr-defined]


def split(ticket: Ticket, message_id: int, actor: User) -> Ticket:
    """Move one message of ``ticket`` (and its files) to a new ticket of the same customer.

    The new ticket is called "Split from #12: <subject>" in the customer's language, keeps the
    category and priority, and starts new in the queue with fresh response targets; both tickets
    keep a history row. The first message (it opened the ticket) and internal notes stay.
    """
    message = db.session.scalar(
        select(Message).where(Message.id == message_id, Message.ticket_id == ticket.id)
    )
    _check_split(ticket, message)
    assert message is not None  # _check_split refused a missing message
    customer = db.session.get(User, ticket.customer_id)
    new = _new_ticket_like(ticket, customer)
    moved = rows_matched(
        update(Message)
        .where(Message.id == message.id, Message.ticket_id == ticket.id)
        .values(ticket_id=new.id, request_token=None)
        .execution_options(synchronize_session=False)
    )
    if moved != 1:
        raise MergeError(_("That message was moved a moment ago; nothing was changed."))
    _execute(update(Attachment).where(Attachment.message_id == message.id).values(ticket_id=new.id))
    events.created(new, actor.id)
    history.record(ticket, "split_to", actor.id, None, new.id)
    history.record(new, "split_from", actor.id, None, ticket.id)
    ticket.updated_at = utcnow()
    return new


def _check_split(ticket: Ticket, message: Message | None) -> None:
    if message is None:
        raise MergeError(_("That message is not on this ticket any more."))
    if message.internal:
        raise MergeError(_("An internal note cannot be split into a ticket of its own."))
    first = db.session.scalar(select(func.min(Message.id)).where(Message.ticket_id == ticket.id))
    if message.id == first:
        raise MergeError(_("The first message opened this ticket, so it cannot be split off."))


def _new_ticket_like(ticket: Ticket, customer: User | None) -> Ticket:
    """A new ticket for the same customer, category and priority, named after the one it came from."""
    with force_locale(customer.language if customer is not None else None):
        subject = _("Split from #%(number)d: %(subject)s", number=ticket.id, subject=ticket.subject)
    now = utcnow()
    first, resolution = target_hours(ticket.priority)
    new = Ticket(
        customer_id=ticket.customer_id,
        subject=subject[:SUBJECT_MAX],
        category=ticket.category,
        priority=ticket.priority,
        status="new",
        channel=ticket.channel,
        created_at=now,
        updated_at=now,
        first_response_due=now + timedelta(hours=first),
        resolution_due=now + timedelta(hours=resolution),
    )
    db.session.add(new)
    db.session.flush()
    return new
