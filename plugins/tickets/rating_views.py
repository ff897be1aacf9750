"""The page a one-click rating link in the resolution mail opens, at /tickets/rate/<token>.

No sign-in is asked: the signed link is the authority, and it names the ticket, its customer and the
score (rating_links.py). The GET only shows the choice; the POST (with its CSRF token) stores it
through ``service.rate`` as that customer, so the usual rules hold (resolved, answered by staff,
rated once). A link that cannot be used answers 400 with the reason and a way to the ticket.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.plugin import User, db, public

from . import rating_links, service
from .blueprint import bp
from .forms import RateForm
from .models import Ticket
from .rating_links import RatingLinkError


def _refused(reason: object, ticket_id: int | None = None) -> tuple[str, int]:
    return render_template("tickets/rate_from_mail.html", problem=reason, ticket_id=ticket_id), 400


def _why_not_rateable(ticket: Ticket) -> str:
    """The same reasons the ticket page gives, for the ticket as it is stored now."""
    if ticket.rating is not None:
        return _("You have already rated this ticket. Thank you!")
    if ticket.status not in service.RATEABLE_STATUSES:
        return _("You can rate a ticket once it is resolved.")
    return _("You can rate this ticket once our staff have answered it.")


@bp.route("/rate/<token>", methods=["GET", "POST"])
@public
def rate_from_mail(token: str) -> str | Response | tuple[str, int]:
    """Confirm the score chosen in the mail (and add a comment); only the POST stores it."""
    try:
        link = rating_links.read_rating_link(token)
    except RatingLinkError as error:
        return _refused(error.reason)
    ticket = rating_links.linked_ticket(link)
    customer = db.session.get(User, link.customer_id)
    if ticket is None or customer is None:
        return _refused(_("This rating link is not valid."))
    if not service.can_rate(ticket):
        return _refused(_why_not_rateable(ticket), ticket.id)
    if request.method != "POST":
        form = RateForm(formdata=None, rating=link.score)
        return render_template("tickets/rate_from_mail.html", ticket=ticket, token=token, rate_form=form)
    form = RateForm()
    page = {"ticket": ticket, "token": token, "rate_form": form}
    if not form.validate():
        return render_template("tickets/rate_from_mail.html", **page), 422
    if not service.rate(ticket, customer, int(form.rating.data), (form.comment.data or "").strip()):
        # Another tab, or the ticket page, stored a rating between the page and this request.
        db.session.rollback()
        return _refused(_why_not_rateable(ticket), ticket.id)
    db.session.commit()
    return render_template("tickets/rate_from_mail.html", **page, rated=True)
