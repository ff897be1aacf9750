"""Saying sorry for a complaint: which tickets offer it, the message it starts from, sending it once.

A resolved complaint is the moment to apologise well: take responsibility and give something back
(docs/plugins/tickets.md, "Apologising for a complaint"). The tickets plugin owns the flow and its
message; other plugins add their steps (goodwill points, a follow-up survey) in the ``tickets.apology``
slot. The message is a staff reply sent through ``sending``, so the customer is notified and mailed
as for any reply, under the one-time key ``apology:<ticket>``: that key is how the panel knows the
apology went out, and why a second click, a retry or a second agent at the same moment sends
nothing more. Callers check who may act; ``send_apology`` commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.plugin import User, get_setting

from . import events, sending, service
from .forms import ApologyForm
from .models import BODY_MAX, Message, Ticket

# A complaint is apologised for once it is dealt with: resolved, or closed since.
APOLOGY_STATUSES = ("resolved", "closed")


@dataclass(frozen=True)
class ApologyPanel:
    """What the staff ticket page shows of the flow: the apology sent, or the form to send it."""

    sent: Message | None
    form: ApologyForm


def apology_category() -> str:
    """The category whose resolved tickets offer the apology (the setting; "complaint" by default)."""
    return str(get_setting("tickets", "apology_category")).strip()


def offers_apology(ticket: Ticket) -> bool:
    """Whether the ticket's staff page offers the apology: a complaint, resolved or closed, not merged."""
    return (
        ticket.merged_into_id is None
        and ticket.status in APOLOGY_STATUSES
        and bool(apology_category())
        and ticket.category == apology_category()
    )


def apology_key(ticket_id: int) -> str:
    """The one-time key the apology message is stored under: one apology per ticket."""
    return f"apology:{ticket_id}"


def sent_apology(ticket: Ticket) -> Message | None:
    """The apology message sent on this ticket, if it was."""
    return service.find_reply(ticket, apology_key(ticket.id))


def starting_text(ticket: Ticket, customer: User | None) -> str:
    """The message the agent starts from, in the customer's language, naming them and the ticket.

    An administrator's own text (the ``apology_message`` setting) is used as written, with its
    placeholders filled in; otherwise the portal's text, translated for the customer.
    """
    name = customer.name if customer is not None else ""
    own = str(get_setting("tickets", "apology_message")).strip()
    if own:
        filled = own.replace("{name}", name).replace("{number}", str(ticket.id))
        return filled.replace("{subject}", ticket.subject)[:BODY_MAX]
    with force_locale(customer.language if customer is not None and customer.language else None):
        text = _(
            "Dear %(name)s,\n\n"
            "We are sorry about what went wrong in your ticket #%(number)d, “%(subject)s”. "
            "You were right to tell us: it should not have happened, and we have taken it to heart.\n\n"
            "Thank you for your patience. If anything is still not right, reply to this message and "
            "we will put it right.",
            name=name,
            number=ticket.id,
            subject=ticket.subject,
        )
    return text[:BODY_MAX]


def panel(ticket: Ticket, customer: User | None, form: ApologyForm | None = None) -> ApologyPanel | None:
    """The apology panel for the staff page, or ``None`` when the ticket does not offer one.

    ``form`` is the form the agent sent, kept with what they typed when it was refused.
    """
    if not offers_apology(ticket):
        return None
    sent = sent_apology(ticket)
    if form is None:
        form = ApologyForm(formdata=None, body=starting_text(ticket, customer))
    return ApologyPanel(sent=sent, form=form)


def send_apology(ticket: Ticket, agent: User, body: str) -> bool:
    """Post the apology as a staff reply, announce it, and commit; False when it was sent before.

    The reply does not reopen the ticket (a staff reply never does), and ``tickets.apology_sent`` is
    emitted in the reply's transaction, only by the request that stored it.
    """
    announced: list[bool] = []

    def announce() -> None:
        events.apology_sent(ticket, agent.id)
        announced.append(True)

    sending.send_reply(ticket, agent, body, files=[], key=apology_key(ticket.id), then=announce)
    return bool(announced)
