"""The mail a customer gets when a ticket is opened for them, and tickets made from mail held for them.

Both follow a committed change (reactions.py runs them): ``tickets.created`` confirms the ticket
with its number, when to expect an answer and the address to reply to; ``core.email_verified``
turns the mail someone sent before they had an account into their tickets (held_mail.py).
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l

from portal.plugin import Event, User, db, external_url, get_setting, reply_address, send_mail

from . import held_mail
from .events import TicketCreated
from .models import Ticket

# Mail no person wrote: answering machines and mail loops leave it alone (RFC 3834).
AUTO_REPLY_HEADERS = {"Auto-Submitted": "auto-replied"}


def confirm_new_ticket(event: Event) -> None:
    """Mail the customer their new ticket's number and what happens next, unless switched off.

    The reply address lets them answer the mail to add to the ticket, as on its page.
    """
    if not isinstance(event.data, TicketCreated) or not get_setting("tickets", "auto_reply"):
        return
    ticket = db.session.get(Ticket, event.data.ticket_id)
    customer = db.session.get(User, ticket.customer_id) if ticket is not None else None
    if ticket is None or customer is None:
        return  # erased with its account before the event was delivered
    send_mail(
        customer.email,
        customer.name,
        "tickets/auto_reply",
        _l("We have your request #%(number)s: %(subject)s", number=ticket.id, subject=ticket.subject[:120]),
        customer.language,
        timezone=customer.timezone,
        calendar=customer.calendar,
        reply_to=reply_address("tickets", str(ticket.id), customer.email),
        headers=AUTO_REPLY_HEADERS,
        ticket_id=ticket.id,
        ticket_subject=ticket.subject,
        first_response_due=ticket.first_response_due,
        link=external_url("tickets.show", ticket_id=ticket.id),
    )


REACTIONS: dict[str, tuple[Callable[[Event], None], ...]] = {
    "tickets.created": (confirm_new_ticket,),
    "core.email_verified": (held_mail.release_for_confirmed_account,),
}
