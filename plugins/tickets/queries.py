"""Reading tickets for the pages: lists, one ticket as its reader may see it, its conversation and files.

Each function is named for what it returns, and none writes. The customer's readers take the
signed-in person and keep to the tickets they may see (``scope_for``); the staff's readers see
every ticket. Views turn the request into arguments; the SQL is here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from portal.plugin import ID_MAX, Page, User, db, keyset_page, page_link_id, parse_integer, scope_for

from .models import ACTIVE_STATUSES, PRIORITIES, STATUSES, Attachment, Message, Ticket
from .service import overdue_clause
from .watchers import watched_ticket_ids

PAGE_SIZE = 25
SEARCH_MAX = 100
CATEGORY_FILTER_MAX = 40
AGENTS_MAX = 200
SORTS = ("newest", "oldest", "due")
WIDGET_TICKETS = 5


def search_clause(term: str, *, staff: bool) -> ColumnElement[bool]:
    """Subject or message text contains the term; the customer's search never reads internal notes."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    in_messages = select(Message.id).where(
        Message.ticket_id == Ticket.id, Message.body.ilike(pattern, escape="\\")
    )
    if not staff:
        in_messages = in_messages.where(Message.internal.is_(False))
    return or_(Ticket.subject.ilike(pattern, escape="\\"), exists(in_messages))


def _ticket_id(row: Any) -> tuple[int]:
    return (row.Ticket.id,)


def _due_then_id(row: Any) -> tuple[datetime, int]:
    """The due ordering's keys: ``next_due`` is what the due expression computes in SQL."""
    return (row.Ticket.next_due, row.Ticket.id)


def _ticket_page(
    query: Select[Any],
    keys: list[Any],
    cursor: str | None,
    *,
    descending: bool = False,
    values: Any = _ticket_id,
) -> Page:
    """A keyset page of rows that start with a Ticket."""
    return keyset_page(
        query, keys, cursor=cursor, size=PAGE_SIZE, descending=descending, values=values, scalars=False
    )


def _due_expression() -> Any:
    """When the ticket is next due: its first response until there is one, then its resolution."""
    return case((Ticket.first_response_at.is_(None), Ticket.first_response_due), else_=Ticket.resolution_due)


def _with_status(query: Select[Any], status: str) -> Select[Any]:
    if status in STATUSES:
        return query.where(Ticket.status == status)
    if status == "active":
        return query.where(Ticket.status.in_(ACTIVE_STATUSES))
    return query


def customer_tickets(user: User, *, status: str, category: str, term: str, before: str | None) -> Page:
    """A page of the tickets ``user`` may see (a manager's members' too, those in copy to them), newest
    first, filtered.

    Rows are (Ticket, owner's name, shared), so a manager's list can say whose each ticket is and
    everyone's list can mark the tickets shared with them (in copy) rather than their side's own.
    """
    own_side = scope_for(user).customer_ids()
    own = Ticket.customer_id.in_(own_side)
    query = (
        select(Ticket, User.name, (~own).label("shared"))
        .join(User, User.id == Ticket.customer_id)
        .where(_own_side_or_in_copy(own_side, user))
    )
    query = _with_status(query, status)
    if category:
        query = query.where(Ticket.category == category)
    if term:
        query = query.where(search_clause(term, staff=False))
    return _ticket_page(query, [Ticket.id], before, descending=True)


def visible_ticket(user: User, ticket_id: int) -> Ticket | None:
    """The ticket, if ``user`` may see it (their own, for a manager a member's, or one they are in copy
    on with a confirmed address); None otherwise."""
    return db.session.scalar(select(Ticket).where(Ticket.id == ticket_id, readable_by(user)))


def readable_by(user: User) -> ColumnElement[bool]:
    """The tickets of ``user``'s side (own, or members' for a manager) and those in copy to them."""
    return _own_side_or_in_copy(scope_for(user).customer_ids(), user)


def _own_side_or_in_copy(own_side: Select[tuple[int]], user: User) -> ColumnElement[bool]:
    """One set of ticket ids, gathered through the owner and the copy-list indexes.

    Written as "own OR in copy", PostgreSQL walked every ticket newest first to find a customer's
    newest page (about 100 ms at 200,000 tickets), so the list's cost grew with everyone's tickets.
    """
    own = select(Ticket.id).where(Ticket.customer_id.in_(own_side))
    return Ticket.id.in_(union_all(own, watched_ticket_ids(user)))


# The ticket page's reads are built once, with the ticket as a parameter: a statement made afresh and
# its cache key cost more than running it (docs/performance.md).
_OWNER_NAME = select(User.name).where(User.id == bindparam("customer_id"))


def owner_name(ticket: Ticket) -> str | None:
    """The name of the customer whose ticket it is (None once their account is gone)."""
    return db.session.scalar(_OWNER_NAME, {"customer_id": ticket.customer_id})


def on_customer_side(user: User, ticket: Ticket) -> bool:
    """Whether ``user`` is the ticket's owner or a manager of theirs: who may close, reopen, rate and
    choose the people in copy. Someone only in copy reads and replies, nothing more."""
    return scope_for(user).can_see(ticket.customer_id)


def visible_attachment(user: User, ticket_id: int, attachment_id: int) -> Attachment | None:
    """A file of a message the customer saw, on a ticket ``user`` may see; None for anything else."""
    return db.session.scalar(
        select(Attachment)
        .join(Ticket, Ticket.id == Attachment.ticket_id)
        .join(Message, Message.id == Attachment.message_id)
        .where(
            Attachment.id == attachment_id,
            Attachment.ticket_id == ticket_id,
            Message.internal.is_(False),
            readable_by(user),
        )
    )


def staff_attachment(ticket_id: int, attachment_id: int) -> Attachment | None:
    """Any file of the ticket, internal notes' too: staff see the whole conversation."""
    return db.session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.ticket_id == ticket_id)
    )


def ticket_files(ticket_id: int | BindParameter[int], *, staff: bool) -> Select[tuple[Attachment]]:
    """The query of the ticket's files; the customer's leaves out internal notes' files.

    ``ticket_id`` may be a parameter, for a statement built once and run for any ticket.
    """
    query = select(Attachment).where(Attachment.ticket_id == ticket_id)
    if not staff:
        query = query.join(Message, Message.id == Attachment.message_id).where(Message.internal.is_(False))
    return query


_FILES_IN_ORDER = {
    staff: ticket_files(bindparam("ticket_id"), staff=staff).order_by(Attachment.id)
    for staff in (False, True)
}


def attachments_by_message(ticket_id: int, *, staff: bool) -> dict[int, list[Attachment]]:
    """The ticket's files keyed by message, in upload order; the customer's leave out internal notes'."""
    found: dict[int, list[Attachment]] = {}
    for attachment in db.session.scalars(_FILES_IN_ORDER[staff], {"ticket_id": ticket_id}):
        found.setdefault(attachment.message_id, []).append(attachment)
    return found


def _conversation_query(*, staff: bool) -> Select[Any]:
    query = (
        select(Message, User.name, User.role)
        .outerjoin(User, User.id == Message.author_id)
        .where(Message.ticket_id == bindparam("ticket_id"))
        .order_by(Message.id)
    )
    return query if staff else query.where(Message.internal.is_(False))


_CONVERSATION = {staff: _conversation_query(staff=staff) for staff in (False, True)}


def conversation(ticket_id: int, *, staff: bool) -> list[Row[Any]]:
    """The ticket's messages in order as (Message, author's name, author's role); notes for staff only."""
    return list(db.session.execute(_CONVERSATION[staff], {"ticket_id": ticket_id}).all())


def open_tickets_of(customer_id: int) -> tuple[int, list[Ticket]]:
    """How many tickets the customer has open, and the newest few, for the dashboard tile."""
    active = Ticket.customer_id == customer_id, Ticket.status.in_(ACTIVE_STATUSES)
    count = db.session.scalar(select(func.count()).select_from(Ticket).where(*active)) or 0
    latest = db.session.scalars(
        select(Ticket).where(*active).order_by(Ticket.id.desc()).limit(WIDGET_TICKETS)
    ).all()
    return count, list(latest)


def staff_ticket(ticket_id: int) -> Ticket | None:
    """Any ticket by id: staff may open every one."""
    return db.session.get(Ticket, ticket_id)


def people_of(ticket: Ticket) -> tuple[User | None, User | None]:
    """The ticket's customer and its assignee (None when nobody is assigned), for the staff page."""
    customer = db.session.get(User, ticket.customer_id)
    assignee = db.session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    return customer, assignee


def agents() -> list[Row[tuple[int, str, str]]]:
    """The staff a ticket can be assigned to, as (id, name, email) by name; the email gives the handle
    they are mentioned by (mentions.py)."""
    return list(
        db.session.execute(
            select(User.id, User.name, User.email)
            .where(User.role.in_(("agent", "admin")), User.is_integration.is_(False))
            .order_by(User.name)
            .limit(AGENTS_MAX)
        ).all()
    )


@dataclass(frozen=True)
class QueueFilters:
    """The staff queue's filters as typed in its URL, each checked and bounded."""

    sort: str = "newest"
    status: str = "active"
    assignee: str = ""
    priority: str = ""
    category: str = ""
    overdue: bool = False
    customer_id: int | None = None
    term: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> QueueFilters:
        """Read the filters from the query string: an unknown value means "not filtered"."""
        status = args.get("status", "active")
        if status not in STATUSES and status != "active":
            status = "all"
        sort = args.get("sort", "newest")
        return cls(
            sort=sort if sort in SORTS else "newest",
            status=status,
            assignee=args.get("assignee", ""),
            priority=args.get("priority", ""),
            category=args.get("category", "")[:CATEGORY_FILTER_MAX],
            overdue=args.get("overdue") == "1",
            customer_id=page_link_id(args.get("customer")),
            term=args.get("q", "").strip()[:SEARCH_MAX],
        )

    def as_dict(self) -> dict[str, Any]:
        """The filters as the queue's template and its links read them."""
        return {
            "sort": self.sort,
            "status": self.status,
            "assignee": self.assignee,
            "priority": self.priority,
            "category": self.category,
            "overdue": "1" if self.overdue else "",
            "q": self.term,
            "customer": self.customer_id or "",
        }


# The queue's two people per row. Aliased once: a new alias on every request made SQLAlchemy adapt
# and key the whole statement afresh, about a tenth of the queue's time.
_OWNER = aliased(User, name="owner")
_ASSIGNEE = aliased(User, name="assignee")


def _queue_query(filters: QueueFilters, *, me: int, now: datetime) -> Select[Any]:
    query = (
        select(Ticket, _OWNER.name.label("customer_name"), _ASSIGNEE.name.label("assignee_name"))
        .join(_OWNER, _OWNER.id == Ticket.customer_id)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Ticket.assignee_id)
    )
    query = _with_status(query, filters.status)
    who = filters.assignee
    if who == "me":
        query = query.where(Ticket.assignee_id == me)
    elif who == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif (agent_id := parse_integer(who)) is not None and 0 < agent_id <= ID_MAX:
        query = query.where(Ticket.assignee_id == agent_id)  # typed in any digits: "۱۲" is 12
    if filters.priority in PRIORITIES:
        query = query.where(Ticket.priority == filters.priority)
    if filters.category:
        query = query.where(Ticket.category == filters.category)
    if filters.overdue:
        query = query.where(overdue_clause(now))
    if filters.customer_id:
        query = query.where(Ticket.customer_id == filters.customer_id)
    if filters.term:
        query = query.where(search_clause(filters.term, staff=True))
    return query


def queue_page(
    filters: QueueFilters, *, me: int, now: datetime, before: str | None, after: str | None
) -> tuple[list[Any], dict[str, str] | None]:
    """A page of the staff queue in the chosen order, and the link arguments of the next page.

    Rows are (Ticket, customer_name, assignee_name). Newest first pages with ``before``; oldest
    first and by due time with ``after``, whose cursor reads "<due time in ISO format>_<id>".
    """
    query = _queue_query(filters, me=me, now=now)
    if filters.sort == "newest":
        page = _ticket_page(query, [Ticket.id], before, descending=True)
        return page.items, ({"before": page.next_cursor} if page.next_cursor else None)
    if filters.sort == "oldest":
        page = _ticket_page(query, [Ticket.id], after)
    else:
        page = _ticket_page(query, [_due_expression(), Ticket.id], after, values=_due_then_id)
    return page.items, ({"after": page.next_cursor} if page.next_cursor else None)
