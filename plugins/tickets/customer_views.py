"""The customer's ticket pages at /tickets: the list, a new ticket, one ticket, its files and the tile.

Every page reads through ``queries`` with the signed-in customer, so nobody reaches a ticket they may
not see; changes go through ``service``, and each view commits its own.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from portal.plugin import (
    customer,
    db,
    is_htmx_request,
    render_slot,
    render_widget,
    scope_for,
    utcnow,
)

from . import attachments, history, queries, sending, service, watchers
from .blueprint import bp
from .forms import (
    SUGGESTIONS_SEEN,
    ActionForm,
    NewTicketForm,
    RateForm,
    ReplyForm,
    WatcherForm,
    file_errors,
    new_form_token,
)
from .labels import status_choices
from .models import Ticket
from .settings import categories


def _visible_ticket(ticket_id: int) -> Ticket:
    """The ticket, if the signed-in customer may see it; 404 otherwise, as if it did not exist."""
    ticket = queries.visible_ticket(current_user, ticket_id)
    if ticket is None:
        abort(404)
    return ticket


def _managed_ticket(ticket_id: int) -> Ticket:
    """The ticket, for what only the customer's side may do (close, reopen, rate, the copy list).

    Someone in copy reads and replies; anything more is refused (403), anyone else gets 404.
    """
    ticket = _visible_ticket(ticket_id)
    if not queries.on_customer_side(current_user, ticket):
        abort(403)
    return ticket


@bp.route("/")
@customer
def index() -> str:
    """The customer's tickets (and, for an organization manager, the members'), newest first."""
    status = request.args.get("status", "")
    category = request.args.get("category", "")[: queries.CATEGORY_FILTER_MAX]
    term = request.args.get("q", "").strip()[: queries.SEARCH_MAX]
    page = queries.customer_tickets(
        current_user, status=status, category=category, term=term, before=request.args.get("before")
    )
    template = "tickets/_list.html" if is_htmx_request() else "tickets/index.html"
    return render_template(
        template,
        rows=page.items,
        next_before=page.next_cursor,
        filters={"status": status, "category": category, "q": term},
        statuses=status_choices(),
        categories=categories(),
        show_owner=scope_for(current_user).is_manager,
        now=utcnow(),
    )


@bp.route("/new", methods=["GET", "POST"])
@customer
def new() -> str | Response | tuple[str, int]:
    """The new-ticket form. Refusals (bad input, files over the quota, too many tickets) keep the text."""
    form = NewTicketForm()
    if not form.is_submitted():
        form.token.data = new_form_token()
        return render_template("tickets/new.html", form=form)
    files = attachments.uploads_from(form.files.data)
    if not form.validate() or file_errors(form, files):
        return render_template("tickets/new.html", form=form)
    # Files chosen in a browser cannot survive a second round, so a customer who attached some is not stopped.
    if not files and form.suggestions_seen.data != SUGGESTIONS_SEEN and (check_first := _check_first(form)):
        form.suggestions_seen.data = SUGGESTIONS_SEEN
        return render_template("tickets/new.html", form=form, check_first=check_first)
    try:
        ticket = sending.send_ticket(
            current_user,
            subject=form.subject.data.strip(),
            body=form.body.data,
            category=form.category.data,
            priority=form.priority.data,
            files=files,
            key=form.token.data or None,
        )
    except sending.RefusedError as refused:
        if refused.limit == sending.HOURLY:
            form.form_errors.extend(refused.problems)
            return render_template("tickets/new.html", form=form), 429
        form.files.errors = refused.problems
        return render_template("tickets/new.html", form=form)
    return _ticket_opened(ticket.id)


def _check_first(form: NewTicketForm) -> Markup | None:
    """What plugins ask the customer to read before the ticket is opened (slot ``tickets.before_open``).

    Rendered here, not only in the page, because whether there is anything decides whether the ticket
    is opened now; ``None`` when no plugin has anything for this subject and message.
    """
    shown = render_slot("tickets.before_open", subject=form.subject.data.strip(), body=form.body.data)
    return shown if shown.strip() else None


def _ticket_opened(ticket_id: int) -> Response:
    flash(_("Your ticket is open. We will answer you here."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


def _customer_page(ticket: Ticket, reply_form: ReplyForm | None = None) -> dict[str, Any]:
    """The ticket page's context: the conversation without internal notes, and what the customer may do."""
    if reply_form is None:
        reply_form = ReplyForm(formdata=None, token=new_form_token())
    customer_side = queries.on_customer_side(current_user, ticket)
    messages = queries.conversation(ticket.id, staff=False)
    return {
        "ticket": ticket,
        "messages": messages,
        "files": queries.attachments_by_message(ticket.id, staff=False),
        "owner_name": queries.owner_name(ticket),
        "customer_side": customer_side,
        "watchers": watchers.watchers_of(ticket.id),
        "watcher_form": WatcherForm(formdata=None),
        "reply_form": reply_form,
        "action_form": ActionForm(),
        "rate_form": RateForm(formdata=None),
        "can_rate": customer_side and service.can_rate(ticket, [row.Message for row in messages]),
        "can_reopen": customer_side and service.can_reopen(ticket),
        "history": history.customer_timeline(ticket.id),
        "now": utcnow(),
    }


@bp.route("/<int:ticket_id>")
@customer
def show(ticket_id: int) -> str | Response:
    """One ticket: its conversation, the reply form and what its state allows (close, reopen, rate).

    A ticket staff merged into another leads there: its conversation lives on that ticket now.
    """
    ticket = _visible_ticket(ticket_id)
    if ticket.merged_into_id is not None:
        flash(_("Ticket #%(number)d was merged into this one.", number=ticket.id), "info")
        return redirect(url_for("tickets.show", ticket_id=ticket.merged_into_id))
    return render_template("tickets/show.html", **_customer_page(ticket))


@bp.route("/<int:ticket_id>/messages")
@customer
def messages(ticket_id: int) -> str:
    """The conversation alone, polled by htmx so staff replies appear while the page is open."""
    ticket = _visible_ticket(ticket_id)
    return render_template(
        "tickets/_messages.html",
        ticket=ticket,
        messages=queries.conversation(ticket.id, staff=False),
        files=queries.attachments_by_message(ticket.id, staff=False),
        owner_name=queries.owner_name(ticket),
    )


@bp.route("/<int:ticket_id>/reply", methods=["POST"])
@customer
def reply(ticket_id: int) -> str | Response | tuple[str, int]:
    """Add the customer's reply; a refused one comes back with the draft and the reason beside it."""
    ticket = _visible_ticket(ticket_id)
    form = ReplyForm()
    if ticket.status == "closed":
        form.body.errors = [_("This ticket is closed. Reopen it to reply.")]
        return _reply_failed(ticket, form)
    if not ticket.is_active and not queries.on_customer_side(current_user, ticket):
        # A reply would reopen it, and reopening is the customer's choice, not a colleague's in copy.
        form.body.errors = [_("This ticket is resolved. Only the person who opened it can reopen it.")]
        return _reply_failed(ticket, form)
    files = attachments.uploads_from(form.files.data)
    if not form.validate() or file_errors(form, files):
        return _reply_failed(ticket, form)
    try:
        sending.send_reply(
            ticket,
            current_user,
            form.body.data,
            files=files,
            key=form.token.data or "",
            quota_of=ticket.customer_id,
        )
    except sending.RefusedError as refused:
        form.files.errors = refused.problems
        return _reply_failed(ticket, form)
    if is_htmx_request():
        return render_template("tickets/_conversation.html", **_customer_page(ticket))
    flash(_("Your reply was sent."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id, _anchor="conversation"))


def _reply_failed(ticket: Ticket, form: ReplyForm) -> tuple[str, int]:
    """Show the form again with the draft kept and the problem next to it."""
    template = "tickets/_conversation.html" if is_htmx_request() else "tickets/show.html"
    return render_template(template, **_customer_page(ticket, form)), 422


@bp.route("/<int:ticket_id>/close", methods=["POST"])
@customer
def close(ticket_id: int) -> Response:
    """Close the ticket: the customer needs nothing more."""
    ticket = _managed_ticket(ticket_id)
    if ActionForm().validate_on_submit():
        if service.change_status(ticket, "closed", current_user):
            db.session.commit()
            flash(_("The ticket is closed."), "success")
        elif ticket.status == "closed":
            flash(_("This ticket is already closed."), "info")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.route("/<int:ticket_id>/reopen", methods=["POST"])
@customer
def reopen(ticket_id: int) -> Response:
    """Open a resolved or closed ticket again, within the reopen period."""
    ticket = _managed_ticket(ticket_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if service.can_reopen(ticket) and service.change_status(ticket, "open", current_user):
        db.session.commit()
        flash(_("The ticket is open again."), "success")
    elif ticket.is_active:
        flash(_("This ticket is already open."), "info")
    else:
        flash(_("This ticket can no longer be reopened. Please open a new one."), "error")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.route("/<int:ticket_id>/rate", methods=["POST"])
@customer
def rate(ticket_id: int) -> str | Response | tuple[str, int]:
    """Store the rating once; the rules live in ``service.rate``, the reasons for a refusal here."""
    ticket = _managed_ticket(ticket_id)
    form = RateForm()
    if not service.can_rate(ticket):
        return _rating_refused(ticket)
    if not form.validate_on_submit():
        page = _customer_page(ticket)
        page["rate_form"] = form
        return render_template("tickets/show.html", **page), 422
    if not service.rate(ticket, current_user, int(form.rating.data), (form.comment.data or "").strip()):
        # Another tab (or a change by staff) got there between the page and this request.
        return _rating_refused(ticket)
    db.session.commit()
    flash(_("Thank you for your rating."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


def _rating_refused(ticket: Ticket) -> Response:
    """Back to the ticket, told why it cannot be rated (as it is stored now)."""
    if ticket.rating is not None:
        flash(_("You have already rated this ticket. Thank you!"), "info")
    elif ticket.status not in service.RATEABLE_STATUSES:
        flash(_("You can rate a ticket once it is resolved."), "error")
    else:
        flash(_("You can rate this ticket once our staff have answered it."), "error")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))


@bp.route("/<int:ticket_id>/files/<int:attachment_id>")
@customer
def download(ticket_id: int, attachment_id: int) -> Response:
    """A file of a visible message on a ticket the customer may see; 404 otherwise, always a download."""
    attachment = queries.visible_attachment(current_user, ticket_id, attachment_id)
    if attachment is None:
        abort(404)
    return attachments.download(attachment)


@bp.route("/<int:ticket_id>/watchers", methods=["POST"])
@customer
def add_watcher(ticket_id: int) -> str | Response | tuple[str, int]:
    """Put a colleague in copy; a refused address comes back in the form with the reason."""
    ticket = _managed_ticket(ticket_id)
    form = WatcherForm()
    if not watchers.add_from_form(ticket, form, current_user):
        page = _customer_page(ticket)
        page["watcher_form"] = form
        return render_template("tickets/show.html", **page), 422
    db.session.commit()
    flash(
        _(
            "%(email)s is in copy now: they can read and answer this ticket.",
            email=watchers.normalised(form.email.data),
        ),
        "success",
    )
    return redirect(url_for("tickets.show", ticket_id=ticket.id, _anchor="watchers"))


@bp.route("/<int:ticket_id>/watchers/<int:watcher_id>/remove", methods=["POST"])
@customer
def remove_watcher(ticket_id: int, watcher_id: int) -> Response:
    """Take someone out of copy: from their next request on they no longer see the ticket."""
    ticket = _managed_ticket(ticket_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if watchers.remove_watcher(ticket, watcher_id):
        db.session.commit()
        flash(_("They are no longer in copy and can no longer see this ticket."), "success")
    else:
        flash(_("That person was no longer in copy."), "info")
    return redirect(url_for("tickets.show", ticket_id=ticket.id, _anchor="watchers"))


@bp.route("/widget")
@customer
def widget() -> str:
    """The dashboard tile: the signed-in customer's open tickets."""
    count, latest = queries.open_tickets_of(current_user.id)
    return render_widget("tickets/widget.html", title=_("Your open tickets"), count=count, tickets=latest)
