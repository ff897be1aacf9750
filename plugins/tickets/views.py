"""Ticket pages: the customer's (blueprint "tickets", /tickets) and the staff's ("tickets_staff")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.plugin import (
    Page,
    User,
    agent,
    customer,
    db,
    is_htmx_request,
    keyset_page,
    page_link_id,
    render_widget,
    scope_for,
    storage,
    utcnow,
)

from . import attachments, limits, service
from .forms import (
    ActionForm,
    AssignForm,
    BulkForm,
    CannedChoiceForm,
    CannedReplyForm,
    NewTicketForm,
    RateForm,
    ReplyForm,
    StaffReplyForm,
    StatusForm,
)
from .labels import priority_choices, priority_label, status_choices, status_label
from .models import ACTIVE_STATUSES, PRIORITIES, STATUSES, Attachment, CannedReply, Message, Ticket
from .settings import categories
from .text import render_markdown

bp = Blueprint(
    "tickets",
    __name__,
    url_prefix="/tickets",
    template_folder="templates",
    static_folder="static",
)
staff_bp = Blueprint("tickets_staff", __name__, url_prefix="/staff/tickets", template_folder="templates")
bp.add_app_template_global(status_label, "tickets_status_label")
bp.add_app_template_global(priority_label, "tickets_priority_label")

PAGE_SIZE = 25
SEARCH_MAX = 100


def _search_clause(term: str, *, staff: bool) -> ColumnElement[bool]:
    """Subject or message text contains the term; the customer's search never reads internal notes."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    in_messages = select(Message.id).where(
        Message.ticket_id == Ticket.id, Message.body.ilike(pattern, escape="\\")
    )
    if not staff:
        in_messages = in_messages.where(Message.internal.is_(False))
    return or_(Ticket.subject.ilike(pattern, escape="\\"), exists(in_messages))


def _ticket_id(row: Any) -> tuple[int]:
    return (row.Ticket.id,)


def _due_then_id(row: Any) -> tuple[datetime, int]:
    """The due ordering's keys: ``next_due`` is what the due expression computes in SQL."""
    return (row.Ticket.next_due, row.Ticket.id)


def _ticket_page(
    query: Any, keys: list[Any], cursor_arg: str, *, descending: bool = False, values: Any = _ticket_id
) -> Page:
    """A keyset page of rows that start with a Ticket; the cursor comes from the named URL argument."""
    cursor = request.args.get(cursor_arg)
    return keyset_page(
        query, keys, cursor=cursor, size=PAGE_SIZE, descending=descending, values=values, scalars=False
    )


def _page(query: Any) -> tuple[list[Any], str | None]:
    page = _ticket_page(query, [Ticket.id], "before", descending=True)
    return page.items, page.next_cursor


SORTS = ("newest", "oldest", "due")


def _due_expression() -> Any:
    return case((Ticket.first_response_at.is_(None), Ticket.first_response_due), else_=Ticket.resolution_due)


def _sorted_page(query: Any, sort: str) -> tuple[list[Any], dict[str, Any] | None]:
    """A keyset page of the staff queue in the chosen order; the cursor names the last row shown."""
    if sort == "newest":
        rows, next_before = _page(query)
        return rows, ({"before": next_before} if next_before else None)
    if sort == "oldest":
        page = _ticket_page(query, [Ticket.id], "after")
    else:
        # The cursor reads "<due time in ISO format>_<id>", as links made before the helper did.
        page = _ticket_page(query, [_due_expression(), Ticket.id], "after", values=_due_then_id)
    return page.items, ({"after": page.next_cursor} if page.next_cursor else None)


def _visible_ticket(ticket_id: int) -> Ticket:
    """The ticket, if the signed-in customer may see it (their own or, for a manager, a member's)."""
    ticket = db.session.scalar(
        select(Ticket).where(
            Ticket.id == ticket_id, Ticket.customer_id.in_(scope_for(current_user).customer_ids())
        )
    )
    if ticket is None:
        abort(404)
    return ticket


def _file_errors(form: Any, files: list[Any]) -> bool:
    """Put what is wrong with the files themselves (how many, what type) on the form.

    Whether they fit in the customer's quota is asked later, while their allowance is held.
    """
    problems = attachments.check(files)
    if problems:
        form.files.errors = problems
    return bool(problems)


def _attachments_of(ticket_id: int, *, staff: bool) -> dict[int, list[Attachment]]:
    query = select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
    if not staff:
        query = query.join(Message, Message.id == Attachment.message_id).where(Message.internal.is_(False))
    found: dict[int, list[Attachment]] = {}
    for attachment in db.session.scalars(query):
        found.setdefault(attachment.message_id, []).append(attachment)
    return found


def _conversation(ticket_id: int, *, staff: bool) -> list[Any]:
    query = (
        select(Message, User.name, User.role)
        .outerjoin(User, User.id == Message.author_id)
        .where(Message.ticket_id == ticket_id)
        .order_by(Message.id)
    )
    if not staff:
        query = query.where(Message.internal.is_(False))
    return list(db.session.execute(query).all())


def _new_token() -> str:
    return uuid.uuid4().hex


# ---------------------------------------------------------------- customer pages


@bp.route("/")
@customer
def index() -> str:
    """The customer's tickets (and, for an organization manager, the members'), newest first."""
    scope = scope_for(current_user)
    query = (
        select(Ticket, User.name)
        .join(User, User.id == Ticket.customer_id)
        .where(Ticket.customer_id.in_(scope.customer_ids()))
    )
    status = request.args.get("status", "")
    if status in STATUSES:
        query = query.where(Ticket.status == status)
    elif status == "active":
        query = query.where(Ticket.status.in_(ACTIVE_STATUSES))
    category = request.args.get("category", "")[:40]
    if category:
        query = query.where(Ticket.category == category)
    term = request.args.get("q", "").strip()[:SEARCH_MAX]
    if term:
        query = query.where(_search_clause(term, staff=False))
    rows, next_before = _page(query)
    filters = {"status": status, "category": category, "q": term}
    template = "tickets/_list.html" if is_htmx_request() else "tickets/index.html"
    return render_template(
        template,
        rows=rows,
        next_before=next_before,
        filters=filters,
        statuses=status_choices(),
        categories=categories(),
        show_owner=scope.is_manager,
        now=utcnow(),
    )


@bp.route("/new", methods=["GET", "POST"])
@customer
def new() -> str | Response | tuple[str, int]:
    """The new-ticket form. Refusals (bad input, files over the quota, too many tickets) keep the text."""
    form = NewTicketForm()
    form.category.choices = [SelectChoice(c) for c in categories()]
    form.priority.choices = [SelectChoice(value, label) for value, label in priority_choices()]
    if not form.is_submitted():
        form.token.data = _new_token()
        return render_template("tickets/new.html", form=form)
    files = attachments.uploads_from(form.files.data)
    if not form.validate() or _file_errors(form, files):
        return render_template("tickets/new.html", form=form)
    # From here to the commit no other request counts or spends this customer's allowance.
    limits.hold_allowance(current_user.id)
    opened = service.find_opened_ticket(current_user.id, form.token.data)
    if opened is not None:
        db.session.rollback()
        return _ticket_opened(opened.id)
    if over := limits.quota_problem(current_user.id, files):
        db.session.rollback()
        form.files.errors = [over]
        return render_template("tickets/new.html", form=form)
    if too_many := limits.creation_limit_problem(current_user.id):
        db.session.rollback()
        form.form_errors.append(too_many)
        return render_template("tickets/new.html", form=form), 429
    return _open_ticket(form, files)


def _open_ticket(form: NewTicketForm, files: list[Any]) -> str | Response:
    """Open the ticket once per form key: a copy of the form sent at the same time leads to the same one."""
    token = form.token.data or None
    try:
        ticket, message = service.open_ticket(
            current_user,
            subject=form.subject.data.strip(),
            body=form.body.data,
            category=form.category.data,
            priority=form.priority.data,
            request_token=token,
        )
    except IntegrityError:
        # The same form arrived twice at once: the other request opened the ticket.
        db.session.rollback()
        opened = service.find_opened_ticket(current_user.id, token)
        if opened is None:
            raise
        return _ticket_opened(opened.id)
    if problems := attachments.save(message, files):
        db.session.rollback()
        form.files.errors = problems
        return render_template("tickets/new.html", form=form)
    db.session.commit()
    return _ticket_opened(ticket.id)


def _ticket_opened(ticket_id: int) -> Response:
    flash(_("Your ticket is open. We will answer you here."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


def _customer_page(ticket: Ticket, reply_form: ReplyForm | None = None) -> dict[str, Any]:
    if reply_form is None:
        reply_form = ReplyForm(formdata=None, token=_new_token())
    return {
        "ticket": ticket,
        "messages": _conversation(ticket.id, staff=False),
        "files": _attachments_of(ticket.id, staff=False),
        "reply_form": reply_form,
        "action_form": ActionForm(),
        "rate_form": RateForm(formdata=None),
        "can_rate": service.can_rate(ticket),
        "can_reopen": service.can_reopen(ticket),
        "now": utcnow(),
    }


@bp.route("/<int:ticket_id>")
@customer
def show(ticket_id: int) -> str:
    ticket = _visible_ticket(ticket_id)
    return render_template("tickets/show.html", **_customer_page(ticket))


@bp.route("/<int:ticket_id>/messages")
@customer
def messages(ticket_id: int) -> str:
    """The conversation alone, polled by htmx so staff replies appear while the page is open."""
    ticket = _visible_ticket(ticket_id)
    return render_template(
        "tickets/_messages.html",
        ticket=ticket,
        messages=_conversation(ticket.id, staff=False),
        files=_attachments_of(ticket.id, staff=False),
    )


@bp.route("/<int:ticket_id>/reply", methods=["POST"])
@customer
def reply(ticket_id: int) -> str | Response | tuple[str, int]:
    ticket = _visible_ticket(ticket_id)
    form = ReplyForm()
    if ticket.status == "closed":
        form.body.errors = [_("This ticket is closed. Reopen it to reply.")]
        return _reply_failed(ticket, form)
    files = attachments.uploads_from(form.files.data)
    if not form.validate() or _file_errors(form, files):
        return _reply_failed(ticket, form)
    if problems := _store_reply(ticket, form, files, quota_of=ticket.customer_id):
        form.files.errors = problems
        return _reply_failed(ticket, form)
    if is_htmx_request():
        return render_template("tickets/_conversation.html", **_customer_page(ticket))
    flash(_("Your reply was sent."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id, _anchor="conversation"))


def _store_reply(
    ticket: Ticket, form: ReplyForm, files: list[Any], *, internal: bool = False, quota_of: int | None = None
) -> list[str]:
    """Store the reply and its files once per form token; problems with the files keep nothing.

    ``quota_of`` names the customer whose attachment space the files take; their allowance is held
    from the count to the commit, so replies sent at once cannot together pass the quota. Staff
    files pass no customer: the quota keeps customers from filling the disk, not staff from answering.
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
        db.session.commit()
    except IntegrityError:
        # The same form arrived twice at once: the other request stored it.
        db.session.rollback()
    return []


def _reply_failed(ticket: Ticket, form: ReplyForm) -> tuple[str, int]:
    """Show the form again with the draft kept and the problem next to it."""
    template = "tickets/_conversation.html" if is_htmx_request() else "tickets/show.html"
    return render_template(template, **_customer_page(ticket, form)), 422


@bp.route("/<int:ticket_id>/close", methods=["POST"])
@customer
def close(ticket_id: int) -> Response:
    ticket = _visible_ticket(ticket_id)
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
    ticket = _visible_ticket(ticket_id)
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
    ticket = _visible_ticket(ticket_id)
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
    attachment = db.session.scalar(
        select(Attachment)
        .join(Ticket, Ticket.id == Attachment.ticket_id)
        .join(Message, Message.id == Attachment.message_id)
        .where(
            Attachment.id == attachment_id,
            Attachment.ticket_id == ticket_id,
            Message.internal.is_(False),
            Ticket.customer_id.in_(scope_for(current_user).customer_ids()),
        )
    )
    if attachment is None:
        abort(404)
    return storage().download_response(
        attachment.storage_key, download_name=attachment.filename, mimetype=attachment.mimetype
    )


@bp.route("/widget")
@customer
def widget() -> str:
    """The dashboard tile: the signed-in customer's open tickets."""
    active = Ticket.customer_id == current_user.id, Ticket.status.in_(ACTIVE_STATUSES)
    count = db.session.scalar(select(func.count()).select_from(Ticket).where(*active)) or 0
    latest = db.session.scalars(select(Ticket).where(*active).order_by(Ticket.id.desc()).limit(5)).all()
    return render_widget("tickets/widget.html", title=_("Your open tickets"), count=count, tickets=latest)


# ---------------------------------------------------------------- staff pages


def _staff_ticket(ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        abort(404)
    return ticket


def _agents() -> list[Any]:
    return list(
        db.session.execute(
            select(User.id, User.name).where(User.role.in_(("agent", "admin"))).order_by(User.name).limit(200)
        ).all()
    )


@staff_bp.route("/")
@agent
def queue() -> str:
    """Every ticket, filtered by status, assignee, priority, category and overdue, newest first."""
    assignee = aliased(User)
    owner = aliased(User)
    now = utcnow()
    query = (
        select(Ticket, owner.name.label("customer_name"), assignee.name.label("assignee_name"))
        .join(owner, owner.id == Ticket.customer_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
    )
    status = request.args.get("status", "active")
    if status in STATUSES:
        query = query.where(Ticket.status == status)
    elif status == "active":
        query = query.where(Ticket.status.in_(ACTIVE_STATUSES))
    else:
        status = "all"
    who = request.args.get("assignee", "")
    if who == "me":
        query = query.where(Ticket.assignee_id == current_user.id)
    elif who == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif who.isdigit() and len(who) < 10:
        query = query.where(Ticket.assignee_id == int(who))
    priority = request.args.get("priority", "")
    if priority in PRIORITIES:
        query = query.where(Ticket.priority == priority)
    category = request.args.get("category", "")[:40]
    if category:
        query = query.where(Ticket.category == category)
    overdue = request.args.get("overdue") == "1"
    if overdue:
        query = query.where(service.overdue_clause(now))
    customer_id = page_link_id(request.args.get("customer"))
    if customer_id:
        query = query.where(Ticket.customer_id == customer_id)
    term = request.args.get("q", "").strip()[:SEARCH_MAX]
    if term:
        query = query.where(_search_clause(term, staff=True))
    sort = request.args.get("sort", "newest")
    if sort not in SORTS:
        sort = "newest"
    rows, next_args = _sorted_page(query, sort)
    filters = {
        "sort": sort,
        "status": status,
        "assignee": who,
        "priority": priority,
        "category": category,
        "overdue": "1" if overdue else "",
        "q": term,
        "customer": customer_id or "",
    }
    agents = _agents()
    return render_template(
        "tickets/staff_queue.html",
        bulk_form=_bulk_form(agents, formdata=None),
        rows=rows,
        next_args=next_args,
        filters=filters,
        statuses=status_choices(),
        priorities=priority_choices(),
        categories=categories(),
        agents=agents,
        now=now,
    )


BULK_MAX = 100


def _bulk_form(agents: list[Any], **kwargs: Any) -> BulkForm:
    form = BulkForm(**kwargs)
    form.status.choices = [SelectChoice("", _("Keep"))] + [
        SelectChoice(value, label) for value, label in status_choices()
    ]
    form.assignee.choices = [SelectChoice("", _("Keep")), SelectChoice("none", _("Nobody"))] + [
        SelectChoice(str(a.id), a.name) for a in agents
    ]
    return form


@staff_bp.route("/bulk", methods=["POST"])
@agent
def bulk() -> Response:
    """Change the status and/or assignee of the ticked tickets (at most 100 at a time)."""
    form = _bulk_form(_agents())
    ids = sorted({int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) < 10})
    if not form.validate_on_submit() or not ids:
        flash(_("Tick at least one ticket and choose what to change."), "error")
        return redirect(url_for("tickets_staff.queue"))
    if len(ids) > BULK_MAX:
        flash(_("Change at most %(count)d tickets at a time.", count=BULK_MAX), "error")
        return redirect(url_for("tickets_staff.queue"))
    tickets = db.session.scalars(select(Ticket).where(Ticket.id.in_(ids))).all()
    changed = 0
    for ticket in tickets:
        touched = False
        if form.assignee.data:
            ticket.assignee_id = None if form.assignee.data == "none" else int(form.assignee.data)
            ticket.updated_at = utcnow()
            touched = True
        # Each status change is compare-and-set: one changed meanwhile by someone else is left alone.
        if form.status.data and service.change_status(ticket, form.status.data, current_user):
            touched = True
        changed += touched
    db.session.commit()
    flash(_("%(count)d tickets changed.", count=changed), "success")
    return redirect(url_for("tickets_staff.queue"))


def _staff_page(
    ticket: Ticket, reply_form: StaffReplyForm | None = None, canned_error: str | None = None
) -> dict[str, Any]:
    status_form = StatusForm(formdata=None, status=ticket.status)
    agents = _agents()
    assign_form = AssignForm(formdata=None, assignee=str(ticket.assignee_id or ""))
    assign_form.assignee.choices = [SelectChoice("", _("Nobody"))] + [
        SelectChoice(str(a.id), a.name) for a in agents
    ]
    return {
        "ticket": ticket,
        "customer": db.session.get(User, ticket.customer_id),
        "assignee": db.session.get(User, ticket.assignee_id) if ticket.assignee_id else None,
        "messages": _conversation(ticket.id, staff=True),
        "files": _attachments_of(ticket.id, staff=True),
        "reply_form": reply_form or StaffReplyForm(formdata=None, token=_new_token()),
        "canned": _canned_titles(),
        "canned_error": canned_error,
        "status_form": status_form,
        "assign_form": assign_form,
        "action_form": ActionForm(),
        "now": utcnow(),
    }


def _canned_titles() -> list[Any]:
    return list(
        db.session.execute(select(CannedReply.id, CannedReply.title).order_by(CannedReply.title).limit(200))
    )


def _with_canned_text(draft: str, canned: str) -> str:
    """The agent's draft with the canned text after it, a blank line between: nothing typed is lost."""
    if not draft.strip():
        return canned
    return f"{draft.rstrip()}\n\n{canned}"


@staff_bp.route("/canned", methods=["GET", "POST"])
@agent
def canned_replies() -> str | Response:
    """The canned replies: list and add."""
    form = CannedReplyForm()
    if form.validate_on_submit():
        db.session.add(CannedReply(title=form.title.data.strip(), body=form.body.data))
        db.session.commit()
        flash(_("Canned reply saved."), "success")
        return redirect(url_for("tickets_staff.canned_replies"))
    replies = db.session.scalars(select(CannedReply).order_by(CannedReply.title).limit(200)).all()
    return render_template("tickets/canned.html", form=form, replies=replies, action_form=ActionForm())


@staff_bp.route("/canned/<int:reply_id>/delete", methods=["POST"])
@agent
def delete_canned_reply(reply_id: int) -> Response:
    reply = db.session.get(CannedReply, reply_id)
    if reply is None:
        abort(404)
    if ActionForm().validate_on_submit():
        db.session.delete(reply)
        db.session.commit()
        flash(_("Canned reply deleted."), "success")
    return redirect(url_for("tickets_staff.canned_replies"))


@staff_bp.route("/<int:ticket_id>")
@agent
def staff_show(ticket_id: int) -> str:
    return render_template("tickets/staff_show.html", **_staff_page(_staff_ticket(ticket_id)))


@staff_bp.route("/<int:ticket_id>/canned", methods=["POST"])
@agent
def staff_insert_canned(ticket_id: int) -> str | tuple[str, int]:
    """Add a canned reply to the draft the agent is writing, which comes along with the request.

    With htmx only the draft is swapped (no reload); without JavaScript the page comes back with
    the draft, its settings and the canned text. Nothing is stored: sending is a separate step.
    """
    ticket = _staff_ticket(ticket_id)
    form = StaffReplyForm()
    choice = CannedChoiceForm()
    canned_text = None
    if choice.validate_on_submit():
        canned_text = db.session.scalar(select(CannedReply.body).where(CannedReply.id == choice.canned.data))
    if canned_text is None:
        error = (
            _("That canned reply no longer exists.") if choice.canned.data else _("Choose a canned reply.")
        )
        return _draft_page(ticket, form, error), 422
    form.body.data = _with_canned_text(form.body.data or "", canned_text)
    return _draft_page(ticket, form, None)


def _draft_page(ticket: Ticket, form: StaffReplyForm, canned_error: str | None) -> str:
    if is_htmx_request():
        return render_template(
            "tickets/_staff_draft.html",
            ticket=ticket,
            reply_form=form,
            canned=_canned_titles(),
            canned_error=canned_error,
        )
    return render_template("tickets/staff_show.html", **_staff_page(ticket, form, canned_error))


@staff_bp.route("/<int:ticket_id>/reply", methods=["POST"])
@agent
def staff_reply(ticket_id: int) -> str | Response | tuple[str, int]:
    ticket = _staff_ticket(ticket_id)
    form = StaffReplyForm()
    files = attachments.uploads_from(form.files.data)
    if not form.validate() or _file_errors(form, files):
        return render_template("tickets/staff_show.html", **_staff_page(ticket, form)), 422
    if problems := _store_reply(ticket, form, files, internal=form.internal.data):
        form.files.errors = problems
        return render_template("tickets/staff_show.html", **_staff_page(ticket, form)), 422
    flash(_("Internal note added.") if form.internal.data else _("Reply sent to the customer."), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id, _anchor="conversation"))


@staff_bp.route("/<int:ticket_id>/files/<int:attachment_id>")
@agent
def staff_download(ticket_id: int, attachment_id: int) -> Response:
    attachment = db.session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.ticket_id == ticket_id)
    )
    if attachment is None:
        abort(404)
    return storage().download_response(
        attachment.storage_key, download_name=attachment.filename, mimetype=attachment.mimetype
    )


@staff_bp.route("/<int:ticket_id>/status", methods=["POST"])
@agent
def staff_status(ticket_id: int) -> Response:
    ticket = _staff_ticket(ticket_id)
    form = StatusForm()
    if form.validate_on_submit():
        if service.change_status(ticket, form.status.data, current_user):
            db.session.commit()
            flash(_("Status changed."), "success")
        else:
            flash(
                _(
                    "The ticket's status is “%(status)s”: nothing changed.",
                    status=status_label(ticket.status),
                ),
                "info",
            )
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket_id))


@staff_bp.route("/<int:ticket_id>/assign", methods=["POST"])
@agent
def staff_assign(ticket_id: int) -> Response:
    ticket = _staff_ticket(ticket_id)
    form = AssignForm()
    form.assignee.choices = [SelectChoice("", "")] + [SelectChoice(str(a.id), a.name) for a in _agents()]
    if form.validate_on_submit():
        ticket.assignee_id = int(form.assignee.data) if form.assignee.data else None
        ticket.updated_at = utcnow()
        db.session.commit()
        flash(_("Assignee changed."), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id))


@staff_bp.route("/<int:ticket_id>/claim", methods=["POST"])
@agent
def staff_claim(ticket_id: int) -> Response:
    ticket = _staff_ticket(ticket_id)
    if ActionForm().validate_on_submit():
        ticket.assignee_id = current_user.id
        ticket.updated_at = utcnow()
        db.session.commit()
        flash(_("You took this ticket."), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id))


@bp.app_template_filter("tickets_markdown")
def tickets_markdown(text: str) -> Any:
    """A message's Markdown as safe HTML (see text.py)."""
    return render_markdown(text)
