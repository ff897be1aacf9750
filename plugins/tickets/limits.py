"""How much a customer may add: space for attachments, and new tickets per hour.

Both are counted from the tables themselves, never in process memory, so every worker (and every
machine) enforces the same totals. The limits are administrator settings (settings.py).

Counting and then writing is only safe while nobody else writes for the same customer in between:
ten tabs that all count before any of them has written would all pass. So a request first takes
the customer's allowance with ``hold_allowance`` and keeps it until its commit or rollback.
"""

from __future__ import annotations

import os
from datetime import timedelta

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from portal.plugin import User, db, get_setting, utcnow

from .models import Attachment, Message, Ticket

MEGABYTE = 1024 * 1024
CREATION_WINDOW = timedelta(hours=1)


def hold_allowance(customer_id: int) -> None:
    """Make this transaction the only one counting or spending the customer's allowance until it ends.

    A no-op conditional UPDATE of the customer's own row: PostgreSQL holds that row's lock, and
    SQLite the database's write lock, until the transaction commits or rolls back, so a second
    request for the same customer waits here and then counts what the first one stored. The
    account row is used rather than a usage row of our own because it exists exactly as long as the
    customer does, needs no table and no insert race, and is held only for the few statements up to
    the commit. Call it before anything else in the transaction writes (SQLite cannot move a
    transaction that has already read onto a newer snapshot), and before counting.
    """
    db.session.execute(
        update(User)
        .where(User.id == customer_id)
        .values(id=User.id)
        .execution_options(synchronize_session=False)
    )


def upload_size(upload: FileStorage) -> int:
    """The bytes an upload will take, read from its (seekable) spool without consuming it."""
    stream = upload.stream
    position = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def attachment_bytes_used(customer_id: int) -> int:
    """What the customer's side has stored on the customer's tickets; staff files are not theirs to count."""
    used = db.session.scalar(
        select(func.coalesce(func.sum(Attachment.size), 0))
        .join(Message, Message.id == Attachment.message_id)
        .join(Ticket, Ticket.id == Attachment.ticket_id)
        .where(Ticket.customer_id == customer_id, Message.from_staff.is_(False))
    )
    return int(used or 0)


def _megabytes(size: int) -> str:
    return format_decimal(round(size / MEGABYTE, 1))


def quota_problem(customer_id: int, files: list[FileStorage]) -> str | None:
    """Why ``files`` cannot be kept for the customer's tickets, or None when they fit in the quota.

    Only final after ``hold_allowance``: otherwise another request may be storing files right now.
    """
    if not files:
        return None
    needed = sum(upload_size(upload) for upload in files)
    quota = int(get_setting("tickets", "attachment_quota_mb")) * MEGABYTE
    used = attachment_bytes_used(customer_id)
    if used + needed <= quota:
        return None
    return _(
        "You have used %(used)s MB of your %(quota)s MB for attachments, and these files need %(needed)s MB."
        " Send fewer or smaller files, or send your message without them.",
        used=_megabytes(used),
        quota=_megabytes(quota),
        needed=_megabytes(needed),
    )


def tickets_opened_recently(customer_id: int) -> int:
    """Tickets the customer opened in the last hour, counted in the database across workers."""
    since = utcnow() - CREATION_WINDOW
    count = db.session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.created_at >= since)
    )
    return int(count or 0)


def creation_limit_problem(customer_id: int) -> str | None:
    """Why the customer may not open another ticket just now, or None when they may.

    Only final after ``hold_allowance``: otherwise another request may be opening one right now.
    """
    limit = int(get_setting("tickets", "tickets_per_hour"))
    opened = tickets_opened_recently(customer_id)
    if opened < limit:
        return None
    return ngettext(
        "You have opened %(num)d ticket in the last hour;"
        " please add to an existing ticket or try again later.",
        "You have opened %(num)d tickets in the last hour;"
        " please add to an existing ticket or try again later.",
        opened,
    )
