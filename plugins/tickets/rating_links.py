"""One-click rating links for the resolution mail: signed, expiring, bound to a ticket, its customer
and a score.

The link is the authority (the customer need not sign in), so it carries everything the rating
needs and the signature makes it unguessable; it expires after ``LINK_DAYS``. It is single use
without a table of spent links: ``service.rate`` stores a rating only on a ticket not rated yet.
Following it shows a confirm page (rating_views.py); only that page's POST stores the rating, so a
mail scanner that opens every link rates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.plugin import (
    ExpiredTokenError,
    InvalidTokenError,
    db,
    external_url,
    make_token,
    read_token,
)

from .models import Ticket

PURPOSE = "tickets.rating"
LINK_DAYS = 30
SCORES = (1, 2, 3, 4, 5)
TOKEN_MAX = 300
SCORE_LABELS = {
    1: _l("1 – Not at all"),
    2: _l("2"),
    3: _l("3"),
    4: _l("4"),
    5: _l("5 – Completely"),
}


@dataclass(frozen=True)
class RatingLink:
    """What a genuine, unexpired link says: this customer rates this ticket with this score."""

    ticket_id: int
    customer_id: int
    score: int


class RatingLinkError(Exception):
    """The link cannot be used: too old, altered, or not a rating link; ``reason`` says it in words."""

    def __init__(self, reason: LazyString) -> None:
        super().__init__(str(reason))
        self.reason = reason


def rating_url(ticket: Ticket, score: int) -> str:
    """The absolute link that rates ``ticket`` with ``score`` for its customer (from mail and jobs too)."""
    token = make_token(PURPOSE, {"t": ticket.id, "c": ticket.customer_id, "s": score})
    return external_url("tickets.rate_from_mail", token=token)


def rating_actions(ticket: Ticket) -> list[tuple[LazyString, str]]:
    """The five buttons of the resolution mail, "1 – Not at all" to "5 – Completely", as notify's actions."""
    return [(SCORE_LABELS[score], rating_url(ticket, score)) for score in SCORES]


def read_rating_link(token: str) -> RatingLink:
    """What the link says, or ``RatingLinkError`` for an expired, altered or overlong one."""
    if len(token) > TOKEN_MAX:
        raise RatingLinkError(_l("This rating link is not valid."))
    try:
        payload = read_token(PURPOSE, token, max_age=LINK_DAYS * 24 * 3600)
    except ExpiredTokenError:
        raise RatingLinkError(
            _l("This rating link is more than %(days)d days old and no longer works.", days=LINK_DAYS)
        ) from None
    except InvalidTokenError:
        raise RatingLinkError(_l("This rating link is not valid.")) from None
    ticket_id, customer_id, score = payload.get("t"), payload.get("c"), payload.get("s")
    if (
        isinstance(ticket_id, int)
        and isinstance(customer_id, int)
        and isinstance(score, int)
        and score in SCORES
    ):
        return RatingLink(ticket_id=ticket_id, customer_id=customer_id, score=score)
    raise RatingLinkError(_l("This rating link is not valid."))


def linked_ticket(link: RatingLink) -> Ticket | None:
    """The ticket the link names, only while it still belongs to the customer the link was made for."""
    return db.session.scalar(
        select(Ticket).where(Ticket.id == link.ticket_id, Ticket.customer_id == link.customer_id)
    )
