"""Tickets by email: a reply to a ticket mail becomes a message on the ticket, a mail to the support
address opens a ticket (or waits for its sender's account, held_mail.py).

The core has checked the mail (size, form, auto-replies, loops) and that the signed reply address was
made for its sender; here the sender must be a confirmed account allowed on the ticket, and the text
and files pass the web form's limits. Anything refused raises ``MailRefused`` with the reason staff
read on the inbound-mail page; the core rolls the transaction back, so nothing is half stored.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.plugin import ID_MAX, InboundMail, MailHandler, MailRefused, User, db

from . import attachments, held_mail, limits, queries, service
from .inbound_mail import FILES_NOT_TAKEN, checked_content, message_digest, subject_of
from .models import Ticket
from .settings import categories


def mail_handler() -> MailHandler:
    """The tickets plugin's handler, named "tickets" in the reply addresses of every ticket mail."""
    return MailHandler(name="tickets", on_reply=add_mailed_reply, on_new=open_mailed_ticket)


def confirmed_account(address: str) -> User | None:
    """The account whose confirmed address this is; an unconfirmed account is nobody yet."""
    return db.session.scalar(
        select(User).where(User.email == address.strip().lower(), User.email_verified_at.is_not(None))
    )


def add_mailed_reply(mail: InboundMail, thread: str) -> None:
    """A reply to a ticket mail: a message on the ticket, as if written on its page.

    Staff (any agent, not only the assignee) write a staff reply; a customer-side person must be
    able to see the ticket now. Events, status changes and notifications follow as for a reply on
    the page; the same mail delivered twice is stored once.
    """
    sender = confirmed_account(mail.sender)
    if sender is None:
        raise MailRefused(_l("No confirmed account has the sender's address."))
    ticket = _ticket_for(sender, thread)
    if not sender.is_staff:
        # From here to the commit no other request counts or spends this customer's allowance.
        limits.hold_allowance(ticket.customer_id)
    token = message_digest(mail)
    if service.find_reply(ticket, token) is not None:
        return
    files = checked_content(mail)
    if not sender.is_staff:
        if over := limits.quota_problem(ticket.customer_id, files):
            raise MailRefused(over, answer=FILES_NOT_TAKEN)
        _reopen_for_reply(ticket, sender)
    message = service.add_reply(ticket, sender, mail.text.strip(), token=token)
    if problems := attachments.save(message, files):
        raise MailRefused(" ".join(problems), answer=FILES_NOT_TAKEN)


def _ticket_for(sender: User, thread: str) -> Ticket:
    """The ticket the reply address names, if the sender may write on it; ``MailRefused`` otherwise."""
    ticket_id = int(thread) if thread.isdigit() and 0 < int(thread) <= ID_MAX else None
    if ticket_id is None:
        raise MailRefused(_l("The reply address names no ticket."))
    ticket = queries.staff_ticket(ticket_id) if sender.is_staff else queries.visible_ticket(sender, ticket_id)
    if ticket is None:
        raise MailRefused(
            _l("The sender may not see this ticket."),
            answer=_l("You can no longer follow request #%(number)s.", number=ticket_id),
        )
    if ticket.merged_into_id is not None:
        # Merged since the mail was sent: the conversation goes on in the ticket it was merged into.
        return _ticket_for(sender, str(ticket.merged_into_id))
    return ticket


def _reopen_for_reply(ticket: Ticket, sender: User) -> None:
    """A customer's reply to a resolved or closed ticket reopens it within the reopen period.

    After it the mail is refused with the reason that a new ticket is needed.
    """
    if ticket.is_active:
        return
    if not service.can_reopen(ticket):
        raise MailRefused(
            _l("The ticket can no longer be reopened; the sender must open a new ticket."),
            answer=_l(
                "Request #%(number)s is closed and can no longer be reopened. Please open a new request in"
                " the portal and mention #%(number)s in it.",
                number=ticket.id,
            ),
        )
    if ticket.status == "closed":
        # A resolved ticket is reopened by the reply itself (service.add_reply).
        service.change_status(ticket, "open", sender, notify_customer=False)


def open_mailed_ticket(mail: InboundMail) -> None:
    """A mail to the support address: a ticket of the sender's account, or held until they have one.

    The ticket has the mail's subject, the first category and normal priority, and counts against
    the same hourly limit and attachment space as one opened on the page.
    """
    sender = confirmed_account(mail.sender)
    if sender is None:
        held_mail.hold(mail)
        return
    if sender.is_staff:
        raise MailRefused(_l("Staff open tickets for a customer in the staff console, not by mail."))
    # From here to the commit no other request counts or spends this customer's allowance.
    limits.hold_allowance(sender.id)
    token = message_digest(mail)
    if service.find_opened_ticket(sender.id, token) is not None:
        return
    files = checked_content(mail)
    if over := limits.quota_problem(sender.id, files):
        raise MailRefused(over)
    if too_many := limits.creation_limit_problem(sender.id):
        raise MailRefused(too_many)
    _ticket, message = service.open_ticket(
        sender,
        subject=subject_of(mail),
        body=mail.text.strip(),
        category=categories()[0],
        priority="normal",
        request_token=token,
        channel="email",
    )
    if problems := attachments.save(message, files):
        raise MailRefused(" ".join(problems))
