"""Staff alerts: agents hear of work in the portal (the bell) and by email, without watching the queue.

Five kinds, all for staff only (``audience="staff"``), each with its own email preference:

- ``tickets.queue_new``: a new ticket, to every agent or to its category's owners (alert_recipients.py);
- ``tickets.customer_reply``: the customer's side replied on, or reopened, a ticket assigned to me;
- ``tickets.assigned``: a colleague gave me a ticket (taking one myself tells nobody);
- ``tickets.target_soon``: a response target about to be missed (the scheduled task below);
- ``tickets.mention``: ``@handle`` in an internal note (mentions.py).

Each runs as a reaction once the change committed, once per event (reactions.py), and never tells
anyone of their own action. An alert names the ticket (#12 “Printer on fire”), carries the start of
the customer's text where there is one, links to the staff ticket page and is written in the agent's
language; its email can be answered to reply on the ticket. An internal note's text goes only to the
colleagues it mentions, and no alert is ever stored for a customer (``notify`` refuses).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.plugin import (
    Event,
    User,
    db,
    external_url,
    format_datetime,
    get_setting,
    notify,
    reply_address,
    utcnow,
)

from .alert_recipients import queue_recipients, staff_member
from .events import TicketAssigned, TicketCreated, TicketNoted, TicketReplied, TicketStatusChanged
from .models import Message, Ticket
from .target_warnings import NearTarget, claim_warning, near_targets

EXCERPT_MAX = 300
SUBJECT_SHOWN = 120
# A customer's reply on a waiting or resolved ticket reopens it in the same moment; that reply has
# its own alert, so the status change it caused adds none.
SAME_ACTION = timedelta(seconds=2)
REOPENED_FROM = ("resolved", "closed", "waiting")


def _staff_path(ticket: Ticket) -> str:
    """The staff ticket page as a path, also where there is no request (reactions, ticks)."""
    return urlsplit(external_url("tickets_staff.staff_show", ticket_id=ticket.id)).path


def _excerpt(text: str | None) -> str:
    text = (text or "").strip()
    return text if len(text) <= EXCERPT_MAX else text[:EXCERPT_MAX].rstrip() + "…"


def _customer_text(ticket: Ticket, *, first: bool = False) -> str:
    """The start of the customer side's first (or latest) message: what they wrote, never a note."""
    order = Message.id.asc() if first else Message.id.desc()
    body = db.session.scalar(
        select(Message.body)
        .where(Message.ticket_id == ticket.id, Message.from_staff.is_(False), Message.internal.is_(False))
        .order_by(order)
        .limit(1)
    )
    return _excerpt(body)


def _alert(
    agent: User,
    kind: str,
    ticket: Ticket,
    title: LazyString,
    body: str | LazyString,
    *,
    answerable: bool = True,
) -> None:
    """Tell one member of staff; ``answerable`` alerts carry the ticket's reply address for them."""
    notify(
        agent,
        kind,
        title=title,
        body=body,
        url=_staff_path(ticket),
        reply_to=reply_address("tickets", str(ticket.id), agent.email) if answerable else None,
    )


def _ticket(ticket_id: int) -> Ticket | None:
    return db.session.get(Ticket, ticket_id)


def _subject(ticket: Ticket) -> str:
    return ticket.subject[:SUBJECT_SHOWN]


def alert_new_ticket(event: Event) -> None:
    """A new ticket in the queue: its category's owners, or every agent, hear of it (not its opener)."""
    data = event.data
    if not isinstance(data, TicketCreated) or (ticket := _ticket(data.ticket_id)) is None:
        return
    title = _l("New ticket #%(id)s “%(subject)s”", id=ticket.id, subject=_subject(ticket))
    text = _customer_text(ticket, first=True)
    for agent in queue_recipients(ticket.category):
        if agent.id != event.actor_id:
            _alert(agent, "tickets.queue_new", ticket, title, text)


def alert_customer_reply(event: Event) -> None:
    """The customer's side replied: the ticket's assignee hears of it, with the start of the reply."""
    data = event.data
    if not isinstance(data, TicketReplied) or data.author != "customer":
        return
    ticket = _ticket(data.ticket_id)
    assignee = staff_member(ticket.assignee_id) if ticket else None
    if ticket is None or assignee is None or assignee.id == event.actor_id:
        return
    title = _l("Customer replied on #%(id)s “%(subject)s”", id=ticket.id, subject=_subject(ticket))
    _alert(assignee, "tickets.customer_reply", ticket, title, _customer_text(ticket))


def alert_customer_reopen(event: Event) -> None:
    """The customer's side reopened a ticket (a reply that reopens has its own alert): the assignee hears."""
    data = event.data
    if not isinstance(data, TicketStatusChanged) or data.new_status != "open":
        return
    actor = db.session.get(User, event.actor_id) if event.actor_id else None
    ticket = _ticket(data.ticket_id)
    if data.old_status not in REOPENED_FROM or actor is None or actor.is_staff or ticket is None:
        return
    assignee = staff_member(ticket.assignee_id)
    if assignee is None or _replied_with_it(ticket, event):
        return
    title = _l("Customer reopened #%(id)s “%(subject)s”", id=ticket.id, subject=_subject(ticket))
    _alert(assignee, "tickets.customer_reply", ticket, title, _customer_text(ticket))


def _replied_with_it(ticket: Ticket, event: Event) -> bool:
    """Whether the status change came with a reply by the same person (a reply reopens the ticket):
    the ticket's newest visible message is theirs, written in the same moment."""
    newest = db.session.execute(
        select(Message.author_id, Message.created_at)
        .where(Message.ticket_id == ticket.id, Message.internal.is_(False))
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    return (
        newest is not None
        and newest.author_id == event.actor_id
        and event.created_at - SAME_ACTION <= newest.created_at <= event.created_at
    )


def alert_assignee(event: Event) -> None:
    """A colleague gave me a ticket: I hear of it, unless I took it myself or it changed hands since."""
    data = event.data
    if not isinstance(data, TicketAssigned) or data.new_assignee_id in (None, event.actor_id):
        return
    ticket = _ticket(data.ticket_id)
    assignee = staff_member(data.new_assignee_id)
    if ticket is None or assignee is None or ticket.assignee_id != assignee.id:
        return
    actor = db.session.get(User, event.actor_id) if event.actor_id else None
    if actor is None:
        title = _l("#%(id)s “%(subject)s” was assigned to you", id=ticket.id, subject=_subject(ticket))
    else:
        title = _l(
            "%(name)s assigned #%(id)s “%(subject)s” to you",
            name=actor.name,
            id=ticket.id,
            subject=_subject(ticket),
        )
    _alert(assignee, "tickets.assigned", ticket, title, _customer_text(ticket))


def alert_mentioned(event: Event) -> None:
    """Colleagues mentioned in an internal note hear of it, with the note; nobody else is told its text.

    The alert carries no reply address: an answer by email would reach the customer, and a note is
    for staff only.
    """
    data = event.data
    if not isinstance(data, TicketNoted) or (ticket := _ticket(data.ticket_id)) is None:
        return
    author = db.session.get(User, event.actor_id) if event.actor_id else None
    note = db.session.scalar(
        select(Message.body)
        .where(
            Message.ticket_id == ticket.id,
            Message.author_id == event.actor_id,
            Message.internal.is_(True),
            Message.created_at <= event.created_at,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    title = _l(
        "%(name)s mentioned you on #%(id)s “%(subject)s”",
        name=author.name if author else "",
        id=ticket.id,
        subject=_subject(ticket),
    )
    for user_id in data.mentioned_ids:
        member = staff_member(user_id) if user_id != event.actor_id else None
        if member is not None:
            _alert(member, "tickets.mention", ticket, title, _excerpt(note), answerable=False)


def _target_title(near: NearTarget) -> LazyString:
    ticket = near.ticket
    if near.target == "first_response":
        return _l(
            "#%(id)s “%(subject)s” is close to missing its first-response target",
            id=ticket.id,
            subject=_subject(ticket),
        )
    return _l(
        "#%(id)s “%(subject)s” is close to missing its resolution target",
        id=ticket.id,
        subject=_subject(ticket),
    )


def warn_of_targets() -> None:
    """Warn of every target due within the set hours, once per ticket and target (``portal tick``).

    The assignee is warned, or for an unassigned ticket whoever hears of new tickets in its category.
    """
    now = utcnow()
    hours = int(get_setting("tickets", "target_warning_hours"))
    for near in near_targets(now, hours):
        ticket = near.ticket
        if not claim_warning(ticket.id, near.target, now):
            continue
        assignee = staff_member(ticket.assignee_id)
        for agent in [assignee] if assignee else queue_recipients(ticket.category):
            due = _l("Due %(when)s.", when=format_datetime(near.due, user=agent))
            _alert(agent, "tickets.target_soon", ticket, _target_title(near), due)


REACTIONS: dict[str, tuple[Callable[[Event], None], ...]] = {
    "tickets.created": (alert_new_ticket,),
    "tickets.replied": (alert_customer_reply,),
    "tickets.status_changed": (alert_customer_reopen,),
    "tickets.assigned": (alert_assignee,),
    "tickets.noted": (alert_mentioned,),
}
