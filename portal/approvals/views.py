"""The approvals pages: administrators decide what waits; everyone on the staff follows their own requests."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access import admin, agent
from portal.approvals.decisions import approve, decline
from portal.approvals.forms import DecisionForm
from portal.approvals.kinds import ApprovalRefusedError
from portal.approvals.lists import (
    RECENTLY_DECIDED,
    decided_page,
    pending_page,
    requested_page,
    shown,
)
from portal.approvals.models import Approval
from portal.database import db, utcnow

bp = Blueprint("approvals", __name__, url_prefix="/staff/approvals")


@bp.route("/")
@agent
def index() -> str:
    """Administrators: what waits for a decision, and the latest decisions. Agents: their own requests."""
    if not current_user.is_admin:
        return _own_requests()
    page = pending_page(request.args.get("cursor"))
    recent = decided_page(None, size=RECENTLY_DECIDED)
    return render_template(
        "staff/approvals/index.html",
        page=page,
        rows=shown(page.items, current_user),
        recent=shown(recent.items, current_user),
        more_decided=recent.next_cursor is not None,
        form=DecisionForm(formdata=None),
        now=utcnow(),
    )


@bp.route("/decided")
@admin
def decided() -> str:
    """Every decided request, the latest decision first, with who decided and their note."""
    page = decided_page(request.args.get("cursor"))
    return render_template("staff/approvals/decided.html", page=page, rows=shown(page.items, current_user))


@bp.route("/mine")
@agent
def mine() -> str:
    """The signed-in person's own requests and where each stands."""
    return _own_requests()


def _own_requests() -> str:
    page = requested_page(current_user.id, request.args.get("cursor"))
    return render_template("staff/approvals/mine.html", page=page, rows=shown(page.items, current_user))


@bp.route("/<int:approval_id>/decide", methods=["POST"])
@admin
def decide(approval_id: int) -> Response:
    """Approve or decline one request with an optional note; the page says what happened, or why not."""
    approval = db.session.get(Approval, approval_id) or abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "error")
        return redirect(url_for("approvals.index"), 303)
    try:
        if form.decision.data == "approve":
            approve(approval, current_user, form.note.data or "")
            message = _("Approved. The requester is told.")
        else:
            decline(approval, current_user, form.note.data or "")
            message = _("Declined. Nothing was done, and the requester is told.")
    except ApprovalRefusedError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("approvals.index"), 303)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("approvals.index"), 303)


def _first_error(form: DecisionForm) -> str:
    if form.csrf_token.errors:
        return _("The form expired; please try again.")
    for errors in (form.decision.errors, form.note.errors):
        if errors:
            return str(errors[0])
    return _("The form expired; please try again.")
