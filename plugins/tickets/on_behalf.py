"""Staff opening a ticket for a customer who phoned or came to the counter.

The agent finds the customer with the staff console's own customer search, then writes down the
request. The ticket is the customer's like any other (their list, their mails, their rating); it
remembers the agent (``opened_by_id``) and how the customer asked (``channel``). Its first message has
the agent as author but is not from staff (``from_staff`` False): the words are the customer's
request, not an answer, so it neither stops the first-response clock nor lets the ticket be rated.
Pages show it as "Written by Alex (agent) for Sara, by phone".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from portal.plugin import User, db, find_customers

from . import sending
from .forms import StaffNewTicketForm
from .models import Ticket

MATCHES_MAX = 10
SEARCH_MAX = 100


def customer_matches(term: str) -> list[Row[Any]]:
    """Up to ``MATCHES_MAX`` customers whose name or email address contains ``term``; none for no term."""
    term = term.strip()[:SEARCH_MAX]
    return find_customers(term, MATCHES_MAX) if term else []


def chosen_customer(customer_id: int | None) -> User | None:
    """The customer the agent picked, if that id is a customer's account (not staff, not gone)."""
    if customer_id is None:
        return None
    return db.session.scalar(select(User).where(User.id == customer_id, User.role == "customer"))


def open_for_customer(form: StaffNewTicketForm, customer: User, agent: User) -> Ticket:
    """Open the ticket for ``customer`` once per copy of the form, and commit.

    A copy of the form sent twice (double click, retry) leads to the ticket the first one opened.
    The hourly limit on new tickets is the customer's, not the agent's, so it does not apply.
    """
    return sending.send_ticket(
        customer,
        subject=form.subject.data.strip(),
        body=form.body.data,
        category=form.category.data,
        priority=form.priority.data,
        files=[],
        key=form.token.data or None,
        channel=form.channel.data,
        opened_by=agent,
        hourly_limit=False,
    )
