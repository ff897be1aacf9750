"""Someone writing to support: a new ticket, or a reply, stored once per one-time request key.

The customer's pages, the staff's pages and the API all send through these two functions, so what
guards them lives here once:

- The request key (a form's hidden token, the API's ``Idempotency-Key``) is a unique column. A copy
  of the request with the same key stores nothing and gets back what the first one stored, also
  when both arrive at the same instant (the second insert fails on the key; the first one's row is
  then read).
- The customer's allowance is held from counting to the commit (``limits.hold_allowance``), so
  requests sent at once cannot together pass the hourly limit or the attachment space.
- The message and its files are kept together or not at all; events and notifications come from
  ``service`` in the same transaction, which these functions commit.

Callers first check who may act, and the files themselves (``attachments.check``): how many, what
type. A refusal after that raises ``RefusedError``, with nothing stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from portal.plugin import User, db

from . import attachments, limits, service
from .models import Message, Ticket

# Which limit refused: the customer's attachment space, new tickets per hour, or keeping the files.
QUOTA = "quota"
HOURLY = "hourly"
FILES = "files"


class RefusedError(Exception):
    """Nothing was stored: ``problems`` say why, in the sender's language; ``limit`` says which limit."""

    def __init__(self, problems: list[str], limit: str) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems
        self.limit = limit


def send_ticket(
    customer: User,
    *,
    subject: str,
    body: str,
    category: str,
    priority: str,
    files: list[FileStorage],
    key: str | None,
    channel: str = "web",
    opened_by: User | None = None,
    hourly_limit: bool = True,
) -> Ticket:
    """Open the customer's ticket with its first message and files, once per ``key``, and commit.

    The same key again (double click, retry, two tabs at once) opens nothing and gives back the ticket
    the first request opened. ``opened_by`` is the agent who writes it down for the customer (phone,
    counter); ``hourly_limit`` is off for staff, whom the limit on new tickets does not concern. The
    files take the customer's attachment space either way: the first message is the customer's.
    """
    limits.hold_allowance(customer.id)
    if (opened := service.find_opened_ticket(customer.id, key)) is not None:
        db.session.rollback()
        return opened
    if over := limits.quota_problem(customer.id, files):
        _refuse([over], QUOTA)
    if hourly_limit and (too_many := limits.creation_limit_problem(customer.id)):
        _refuse([too_many], HOURLY)
    try:
        ticket, message = service.open_ticket(
            customer,
            subject=subject,
            body=body,
            category=category,
            priority=priority,
            request_token=key,
            channel=channel,
            opened_by=opened_by,
        )
    except IntegrityError:
        # The same request arrived twice at once: the other one opened the ticket.
        db.session.rollback()
        if (opened := service.find_opened_ticket(customer.id, key)) is None:
            raise
        return opened
    if problems := attachments.save(message, files):
        _refuse(problems, FILES)
    db.session.commit()
    return ticket


def send_reply(
    ticket: Ticket,
    author: User,
    body: str,
    *,
    files: list[FileStorage],
    key: str,
    internal: bool = False,
    quota_of: int | None = None,
    then: Callable[[], None] | None = None,
) -> Message:
    """Store the reply (or staff note) and its files once per ``key``, and commit.

    The same key again gives back the message the first request stored and stores nothing. ``quota_of``
    names the customer whose attachment space the files take; their allowance is held from the count
    to the commit. Staff files pass no customer: the space keeps customers from filling the disk, not
    staff from answering. ``then`` runs after the reply is stored and before the commit, so what it
    changes (a macro's status, priority and category) is stored with the reply or not at all.
    """
    if quota_of is not None:
        limits.hold_allowance(quota_of)
    if (earlier := service.find_reply(ticket, key)) is not None:
        db.session.rollback()
        return earlier
    if quota_of is not None and (over := limits.quota_problem(quota_of, files)):
        _refuse([over], QUOTA)
    try:
        message = service.add_reply(ticket, author, body, token=key, internal=internal)
        if problems := attachments.save(message, files):
            _refuse(problems, FILES)
        if then is not None:
            then()
        db.session.commit()
    except IntegrityError:
        # The same request arrived twice at once: the other one stored the reply.
        db.session.rollback()
        if (earlier := service.find_reply(ticket, key)) is None:
            raise
        return earlier
    return message


def _refuse(problems: list[str], limit: str) -> NoReturn:
    """Undo everything this request did (files saved so far go with the rollback) and say why."""
    db.session.rollback()
    raise RefusedError(problems, limit)
