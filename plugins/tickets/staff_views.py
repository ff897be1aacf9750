"""The staff's ticket pages at /staff/tickets: the queue, bulk changes, one ticket, canned replies.

Staff see every ticket and every note, so these views read through ``queries``' staff functions and
``canned``; changes go through ``service``, and each view commits its own.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.plugin import (
    User,
    agent,
    db,
    edit_translations,
    get_setting,
    is_htmx_request,
    store_translations,
    utcnow,
)

from . import apology, attachments, canned, history, queries, sending, service, watchers
from .blueprint import staff_bp
from .forms import (
    CANNED_TEXTS,
    ActionForm,
    ApologyForm,
    AssignForm,
    BulkForm,
    CannedChoiceForm,
    CannedReplyForm,
    MergeForm,
    StaffReplyForm,
    StatusForm,
    WatcherForm,
    assignee_filter_options,
    canned_reply_form,
    file_errors,
    new_form_token,
)
from .labels import priority_choices, status_choices, status_label
from .models import Ticket
from .settings import categories

BULK_MAX = 100


def _staff_ticket(ticket_id: int) -> Ticket:
    """The ticket, or 404."""
    ticket = queries.staff_ticket(ticket_id)
    if ticket is None:
        abort(404)
    return ticket


@staff_bp.route("/")
@agent
def queue() -> str:
    """Every ticket, filtered by status, assignee, priority, category and overdue, newest first."""
    filters = queries.QueueFilters.from_args(request.args)
    now = utcnow()
    rows, next_args = queries.queue_page(
        filters,
        me=current_user.id,
        now=now,
        before=request.args.get("before"),
        after=request.args.get("after"),
    )
    agents = queries.agents()
    return render_template(
        "tickets/staff_queue.html",
        bulk_form=BulkForm.for_agents(agents, formdata=None),
        rows=rows,
        next_args=next_args,
        filters=filters.as_dict(),
        statuses=status_choices(),
        priorities=priority_choices(),
        categories=categories(),
        agent_options=assignee_filter_options(agents, filters.assignee),
        now=now,
    )


@staff_bp.route("/bulk", methods=["POST"])
@agent
def bulk() -> Response:
    """Change the status and/or assignee of the ticked tickets (at most 100 at a time)."""
    form = BulkForm.for_agents(queries.agents())
    ids = sorted({int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) < 10})
    if not form.validate_on_submit() or not ids:
        flash(_("Tick at least one ticket and choose what to change."), "error")
        return redirect(url_for("tickets_staff.queue"))
    if len(ids) > BULK_MAX:
        flash(_("Change at most %(count)d tickets at a time.", count=BULK_MAX), "error")
        return redirect(url_for("tickets_staff.queue"))
    changed = service.change_many(ids, current_user, status=form.status.data, assignee=form.assignee.data)
    db.session.commit()
    flash(_("%(count)d tickets changed.", count=changed), "success")
    return redirect(url_for("tickets_staff.queue"))


def _staff_page(
    ticket: Ticket,
    reply_form: StaffReplyForm | None = None,
    canned_error: str | None = None,
    apology_form: ApologyForm | None = None,
) -> dict[str, Any]:
    """The staff ticket page's context: the whole conversation, notes included, and every action.

    A resolved complaint also gets its apology panel, with ``apology_form`` as the agent sent it.
    """
    customer, assignee = queries.people_of(ticket)
    return {
        "apology": apology.panel(ticket, customer, apology_form),
        "ticket": ticket,
        "customer": customer,
        "assignee": assignee,
        "messages": queries.conversation(ticket.id, staff=True),
        "files": queries.attachments_by_message(ticket.id, staff=True),
        "reply_form": reply_form or StaffReplyForm(formdata=None, token=new_form_token()),
        "canned": canned.canned_titles(),
        "canned_error": canned_error,
        "status_form": StatusForm(formdata=None, status=ticket.status),
        "assign_form": AssignForm.for_agents(
            queries.agents(), formdata=None, assignee=str(ticket.assignee_id or "")
        ),
        "action_form": ActionForm(),
        "merge_form": MergeForm(formdata=None),
        "watchers": watchers.watchers_of(ticket.id),
        "watcher_form": WatcherForm(formdata=None),
        "history": history.staff_timeline(ticket.id),
        "now": utcnow(),
    }


@staff_bp.route("/canned", methods=["GET", "POST"])
@agent
def canned_replies() -> str | Response:
    """The canned replies: list and add."""
    form = canned_reply_form()()
    if form.validate_on_submit():
        reply = canned.add_canned_reply(form.title.data.strip(), form.body.data)
        canned.set_macro(
            reply,
            status=form.set_status.data,
            priority=form.set_priority.data,
            category=form.set_category.data,
        )
        store_translations(form, reply)
        db.session.commit()
        flash(_("Canned reply saved."), "success")
        return redirect(url_for("tickets_staff.canned_replies"))
    return render_template(
        "tickets/canned.html", form=form, replies=canned.canned_replies(), action_form=ActionForm()
    )


@staff_bp.route("/canned/<int:reply_id>/translations", methods=["GET", "POST"])
@agent
def canned_reply_translations(reply_id: int) -> str | tuple[str, int] | Response:
    """A canned reply's title and text in each further language, for customers who read them."""
    reply = canned.find_canned_reply(reply_id)
    if reply is None:
        abort(404)
    return edit_translations(
        reply,
        CannedReplyForm,
        CANNED_TEXTS,
        title=_("Translations: %(title)s", title=reply.title),
        back=url_for("tickets_staff.canned_replies"),
    )


@staff_bp.route("/canned/<int:reply_id>/delete", methods=["POST"])
@agent
def delete_canned_reply(reply_id: int) -> Response:
    """Delete a canned reply for all staff."""
    reply = canned.find_canned_reply(reply_id)
    if reply is None:
        abort(404)
    if ActionForm().validate_on_submit():
        canned.delete_canned_reply(reply)
        db.session.commit()
        flash(_("Canned reply deleted."), "success")
    return redirect(url_for("tickets_staff.canned_replies"))


@staff_bp.route("/<int:ticket_id>")
@agent
def staff_show(ticket_id: int) -> str | Response:
    """One ticket as staff see it; a ticket merged into another leads to that one."""
    ticket = _staff_ticket(ticket_id)
    if ticket.merged_into_id is not None:
        flash(_("Ticket #%(number)d was merged into this one.", number=ticket.id), "info")
        return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.merged_into_id))
    return render_template("tickets/staff_show.html", **_staff_page(ticket))


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
    owner = db.session.get(User, ticket.customer_id)
    language = owner.language if owner is not None else ""
    canned_text = canned.canned_text(choice.canned.data, language) if choice.validate_on_submit() else None
    if canned_text is None:
        error = (
            _("That canned reply no longer exists.") if choice.canned.data else _("Choose a canned reply.")
        )
        return _draft_page(ticket, form, error), 422
    form.body.data = canned.with_canned_text(form.body.data or "", canned_text)
    return _draft_page(ticket, form, None)


def _draft_page(ticket: Ticket, form: StaffReplyForm, canned_error: str | None) -> str:
    if is_htmx_request():
        return render_template(
            "tickets/_staff_draft.html",
            ticket=ticket,
            reply_form=form,
            canned=canned.canned_titles(),
            canned_error=canned_error,
        )
    return render_template("tickets/staff_show.html", **_staff_page(ticket, form, canned_error))


@staff_bp.route("/<int:ticket_id>/reply", methods=["POST"])
@agent
def staff_reply(ticket_id: int) -> str | Response | tuple[str, int]:
    """Send a reply to the customer, or add an internal note only staff see."""
    ticket = _staff_ticket(ticket_id)
    form = StaffReplyForm()
    files = attachments.uploads_from(form.files.data)
    if not form.validate() or file_errors(form, files):
        return render_template("tickets/staff_show.html", **_staff_page(ticket, form)), 422
    try:
        sending.send_reply(
            ticket,
            current_user,
            form.body.data,
            files=files,
            key=form.token.data or "",
            internal=form.internal.data,
        )
    except sending.RefusedError as refused:
        form.files.errors = refused.problems
        return render_template("tickets/staff_show.html", **_staff_page(ticket, form)), 422
    flash(_("Internal note added.") if form.internal.data else _("Reply sent to the customer."), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id, _anchor="conversation"))


@staff_bp.route("/<int:ticket_id>/files/<int:attachment_id>")
@agent
def staff_download(ticket_id: int, attachment_id: int) -> Response:
    """Any file of the ticket, always as a download."""
    attachment = queries.staff_attachment(ticket_id, attachment_id)
    if attachment is None:
        abort(404)
    return attachments.download(attachment)


def _status_changed_message(status: str) -> str:
    """What changing the status did, and for a resolved ticket what happens next without anyone."""
    if status == "resolved":
        days = int(get_setting("tickets", "autoclose_days"))
        return ngettext(
            "The ticket is resolved. The customer is asked whether it solved their problem; "
            "it closes on its own after %(num)d day unless they reopen it.",
            "The ticket is resolved. The customer is asked whether it solved their problem; "
            "it closes on its own after %(num)d days unless they reopen it.",
            days,
        )
    return _("The ticket is now “%(status)s”.", status=status_label(status))


@staff_bp.route("/<int:ticket_id>/status", methods=["POST"])
@agent
def staff_status(ticket_id: int) -> Response:
    """Set the ticket's status; if someone changed it meanwhile, say what it is now."""
    ticket = _staff_ticket(ticket_id)
    form = StatusForm()
    if form.validate_on_submit():
        if service.change_status(ticket, form.status.data, current_user):
            db.session.commit()
            flash(_status_changed_message(ticket.status), "success")
            if ticket.status == "resolved" and apology.offers_apology(ticket):
                flash(_("This was a complaint: the apology is offered below the ticket's actions."), "info")
                return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket_id, _anchor="apology"))
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
    """Give the ticket to a member of staff, or to nobody."""
    ticket = _staff_ticket(ticket_id)
    form = AssignForm.for_agents(queries.agents())
    if form.validate_on_submit():
        service.assign(ticket, int(form.assignee.data) if form.assignee.data else None, current_user)
        db.session.commit()
        assignee = db.session.get(User, ticket.assignee_id) if ticket.assignee_id else None
        if assignee is None:
            flash(
                _("Nobody is assigned now: the ticket waits in the queue for someone to take it."), "success"
            )
        else:
            flash(_("The ticket is now assigned to %(name)s.", name=assignee.name), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id))


@staff_bp.route("/<int:ticket_id>/claim", methods=["POST"])
@agent
def staff_claim(ticket_id: int) -> Response:
    """Take the ticket: the signed-in agent becomes its assignee."""
    ticket = _staff_ticket(ticket_id)
    if ActionForm().validate_on_submit():
        service.assign(ticket, current_user.id, current_user)
        db.session.commit()
        flash(_("You took this ticket."), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id))


@staff_bp.route("/<int:ticket_id>/watchers", methods=["POST"])
@agent
def staff_add_watcher(ticket_id: int) -> str | Response | tuple[str, int]:
    """Put someone in copy for the customer; a refused address comes back with the reason."""
    ticket = _staff_ticket(ticket_id)
    form = WatcherForm()
    if not watchers.add_from_form(ticket, form, current_user):
        page = _staff_page(ticket)
        page["watcher_form"] = form
        return render_template("tickets/staff_show.html", **page), 422
    db.session.commit()
    flash(_("%(email)s is in copy now.", email=watchers.normalised(form.email.data)), "success")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id, _anchor="watchers"))


@staff_bp.route("/<int:ticket_id>/watchers/<int:watcher_id>/remove", methods=["POST"])
@agent
def staff_remove_watcher(ticket_id: int, watcher_id: int) -> Response:
    """Take someone out of copy; they lose access to the ticket at once."""
    ticket = _staff_ticket(ticket_id)
    if ActionForm().validate_on_submit():
        if watchers.remove_watcher(ticket, watcher_id):
            db.session.commit()
            flash(_("They are no longer in copy and can no longer see this ticket."), "success")
        else:
            flash(_("That person was no longer in copy."), "info")
    return redirect(url_for("tickets_staff.staff_show", ticket_id=ticket.id, _anchor="watchers"))
