"""People in copy on a ticket (CC): who they are, adding and removing them, and the mail they get.

A watcher is an email address on one ticket, added by the customer's side (the owner or a manager of
their organization) or by staff. Access follows the address, not a stored account: a person whose
confirmed account has that address reads and answers the ticket in the portal, and loses it the
moment the address leaves the list (every page asks ``watched_ticket_ids`` afresh). Watchers read and
reply; closing, reopening, rating and the list itself stay with the customer's side.

After a public reply or a change of status commits, each watcher is told (``REACTIONS``, run by
reactions.py): by a notification when they have a confirmed account (their preferences apply),
else by a plain mail inviting them to sign up with that address. Every mail carries their own reply
address, so answering it adds to the ticket as them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ForeignKey,
    Index,
    Select,
    String,
    UniqueConstraint,
    bindparam,
    delete,
    false,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import (
    Event,
    Model,
    NotificationError,
    User,
    db,
    external_url,
    notify,
    reply_address,
    rows_matched,
    send_mail,
    utcnow,
)

from .events import TicketReplied, TicketStatusChanged
from .labels import STATUS_LABELS
from .models import Message, Ticket

if TYPE_CHECKING:
    from .forms import WatcherForm

WATCHERS_MAX = 10
EMAIL_MAX = 254
MAIL_BODY_MAX = 300


class TicketWatcher(Model):
    """One address in copy on one ticket; the address is stored as sign-in stores it (trimmed, lower case)."""

    __tablename__ = "tickets_watchers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "email", name="uq_tickets_watchers_ticket_id_email"),
        Index("ix_tickets_watchers_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def normalised(email: str) -> str:
    """The one spelling of an address that accounts use too, so a watcher matches their account."""
    return email.strip().lower()


def watched_ticket_ids(user: User) -> Select[tuple[int]]:
    """The tickets whose copy list holds ``user``'s address, once they confirmed it.

    An unconfirmed account could belong to anyone who typed that address, so it reads nothing.
    """
    ticket_ids = select(TicketWatcher.ticket_id)
    if user.email_verified_at is None:
        return ticket_ids.where(false())
    return ticket_ids.where(TicketWatcher.email == normalised(user.email))


# Built once, as the ticket page reads it on every view (docs/performance.md).
_WATCHERS_OF = (
    select(TicketWatcher).where(TicketWatcher.ticket_id == bindparam("ticket_id")).order_by(TicketWatcher.id)
)


def watchers_of(ticket_id: int) -> list[TicketWatcher]:
    """The ticket's copy list in the order people were added (at most ``WATCHERS_MAX``)."""
    return list(db.session.scalars(_WATCHERS_OF, {"ticket_id": ticket_id}))


def add_watcher(ticket: Ticket, email: str, actor: User) -> LazyString | None:
    """Put ``email`` in copy on ``ticket``; the reason it cannot be, or None once it is added.

    The caller has checked that ``actor`` may manage the list and that ``email`` is an address.
    Refused: the actor's own address, the owner's, an address already there, an eleventh one. A
    no-op UPDATE of the ticket holds its row (PostgreSQL) or the write lock (SQLite) from the count
    to the commit, so two additions at once cannot pass the limit; the unique key stops the same
    address added twice at once.
    """
    db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(id=Ticket.id)
        .execution_options(synchronize_session=False)
    )
    address = normalised(email)
    if address == normalised(actor.email):
        return _l("That is your own address: add a colleague's.")
    owner_email = db.session.scalar(select(User.email).where(User.id == ticket.customer_id))
    if owner_email is not None and address == normalised(owner_email):
        return _l("%(email)s opened this ticket and follows it already.", email=address)
    listed = db.session.scalars(select(TicketWatcher.email).where(TicketWatcher.ticket_id == ticket.id)).all()
    if address in listed:
        return _l("%(email)s is in copy already.", email=address)
    if len(listed) >= WATCHERS_MAX:
        return _l(
            "A ticket can have at most %(count)d people in copy. Remove someone first.", count=WATCHERS_MAX
        )
    try:
        with db.session.begin_nested():
            db.session.add(TicketWatcher(ticket_id=ticket.id, email=address, added_by_id=actor.id))
    except IntegrityError:
        return _l("%(email)s is in copy already.", email=address)
    return None


def add_from_form(ticket: Ticket, form: WatcherForm, actor: User) -> bool:
    """The customer's page and the staff page take an address the same way: False, with the reason on
    the form and nothing kept, when it cannot be added; the caller commits when it is."""
    problem = None
    if form.validate_on_submit():
        problem = add_watcher(ticket, form.email.data, actor)
    if problem is not None:
        db.session.rollback()
        form.email.errors = [str(problem)]
    return not form.errors


def remove_watcher(ticket: Ticket, watcher_id: int) -> bool:
    """Take one address off the ticket's copy list; False when it was not (or no longer) there."""
    statement = delete(TicketWatcher).where(
        TicketWatcher.id == watcher_id, TicketWatcher.ticket_id == ticket.id
    )
    return rows_matched(statement) == 1


def forget_address(email: str) -> None:
    """Take an address out of every copy list: its account is being erased."""
    db.session.execute(delete(TicketWatcher).where(TicketWatcher.email == normalised(email)))


# --- Mail to the people in copy ------------------------------------------------------------------


def mail_reply(event: Event) -> None:
    """Tell the people in copy about a reply they can read (internal notes never emit the event)."""
    data = event.data
    if not isinstance(data, TicketReplied):
        return
    ticket = db.session.get(Ticket, data.ticket_id)
    if ticket is None:
        return
    body = db.session.scalar(
        select(Message.body)
        .where(
            Message.ticket_id == ticket.id,
            Message.internal.is_(False),
            Message.author_id == data.author_id,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    title = _l("New reply on the ticket “%(subject)s”", subject=ticket.subject[:120])
    _tell_watchers(ticket, event.actor_id, "tickets.reply", title, (body or "")[:MAIL_BODY_MAX])


# The changes a customer is told about too: waiting for them, resolved, closed, and reopened. The
# automatic step from "new" to "open" at the first answer is not news of its own.
def _worth_telling(old: str, new: str) -> bool:
    return new in ("waiting", "resolved", "closed") or old in ("resolved", "closed")


def mail_status(event: Event) -> None:
    """Tell the people in copy that the ticket waits for an answer, is resolved, closed or reopened."""
    data = event.data
    if not isinstance(data, TicketStatusChanged) or not _worth_telling(data.old_status, data.new_status):
        return
    ticket = db.session.get(Ticket, data.ticket_id)
    if ticket is None:
        return
    title = _l(
        "The ticket “%(subject)s” is now: %(status)s",
        subject=ticket.subject[:120],
        status=STATUS_LABELS[data.new_status],
    )
    _tell_watchers(ticket, event.actor_id, "tickets.status", title, "")


def _tell_watchers(ticket: Ticket, actor_id: int | None, kind: str, title: LazyString, body: str) -> None:
    """Notify or mail every watcher but the one who caused it, each with their own reply address."""
    actor_email = db.session.scalar(select(User.email).where(User.id == actor_id)) if actor_id else None
    for watcher in watchers_of(ticket.id):
        if actor_email is not None and watcher.email == normalised(actor_email):
            continue
        reply_to = reply_address("tickets", str(ticket.id), watcher.email)
        account = db.session.scalar(
            select(User).where(User.email == watcher.email, User.email_verified_at.is_not(None))
        )
        if account is not None:
            # A notice that cannot be stored must not undo the delivery for the other watchers.
            try:
                notify(account, kind, title=title, body=body, url=_ticket_path(ticket.id), reply_to=reply_to)
            except NotificationError:
                continue
        else:
            send_mail(
                watcher.email,
                "",
                "tickets/watcher_update",
                title,
                reply_to=reply_to,
                recipient_name=watcher.email,
                title=title,
                body=body,
                ticket_id=ticket.id,
                email=watcher.email,
                link=external_url("auth.register"),
            )


def _ticket_path(ticket_id: int) -> str:
    """The ticket page's path, also outside a request (event deliveries run as jobs)."""
    return urlsplit(external_url("tickets.show", ticket_id=ticket_id)).path


REACTIONS: dict[str, tuple[Callable[[Event], None], ...]] = {
    "tickets.replied": (mail_reply,),
    "tickets.status_changed": (mail_status,),
}
