"""What the customer's and the staff's reply forms share: checking the files, storing a reply once.

Both pages take a reply with files from a form that may arrive twice (a double click, a retry, two
tabs); these functions make that one message, or none when anything about the files is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.plugin import db

from . import attachments, limits, service
from .forms import NewTicketForm, ReplyForm
from .models import Ticket


def file_errors(form: NewTicketForm | ReplyForm, files: list[Any]) -> bool:
    """Put what is wrong with the files themselves (how many, what type) on the form; True if anything.

    Whether they fit in the customer's quota is asked later, while their allowance is held.
    """
    problems = attachments.check(files)
    if problems:
        form.files.errors = problems
    return bool(problems)


def store_reply(
    ticket: Ticket,
    form: ReplyForm,
    files: list[Any],
    *,
    internal: bool = False,
    quota_of: int | None = None,
    then: Callable[[], None] | None = None,
) -> list[str]:
    """Store the reply and its files once per form token and commit; problems with the files keep nothing.

    ``quota_of`` names the customer whose attachment space the files take; their allowance is held
    from the count to the commit, so replies sent at once cannot together pass the quota. Staff
    files pass no customer: the quota keeps customers from filling the disk, not staff from answering.
    ``then`` runs after the reply is stored and before the commit, so what it changes (a macro's
    status, priority and category) is stored with the reply or not at all.
    """
    token = form.token.data or ""
    if quota_of is not None:
        limits.hold_allowance(quota_of)
    if service.find_reply(ticket, token) is not None:
        db.session.rollback()
        return []
    if quota_of is not None and (over := limits.quota_problem(quota_of, files)):
        db.session.rollback()
        return [over]
    try:
        message = service.add_reply(ticket, current_user, form.body.data, token=token, internal=internal)
        if problems := attachments.save(message, files):
            db.session.rollback()
            return problems
        if then is not None:
            then()
        db.session.commit()
    except IntegrityError:
        # The same form arrived twice at once: the other request stored it.
        db.session.rollback()
    return []
