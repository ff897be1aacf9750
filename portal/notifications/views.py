"""The signed-in person's notifications and their email choices; nobody sees another's.

Every page works without JavaScript. With htmx, "Mark as read" swaps the one item in place and
updates the bell in the header through an out-of-band swap.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access import customer
from portal.database import db
from portal.notifications import service
from portal.notifications.forms import EmailPreferencesForm
from portal.notifications.models import Notification
from portal.paging import read_cursor
from portal.plugin import is_htmx_request

bp = Blueprint("notifications", __name__)

NOTIFICATION_ID = "<int:notification_id>"


@bp.route("/notifications")
@customer
def index() -> str:
    """The person's notifications, newest first and unread ones marked, a page at a time."""
    before = _before_argument()
    page = service.notifications_page(current_user.id, before)
    return render_template("notifications/index.html", notifications=page.items, page=page, before=before)


@bp.route(f"/notifications/{NOTIFICATION_ID}/read", methods=["POST"])
@customer
def mark_read(notification_id: int) -> str | Response:
    """Mark one read: htmx gets the item and the new bell; a plain form goes back to the same page."""
    notification = _own_or_404(notification_id)
    service.mark_read(notification)
    db.session.commit()
    if is_htmx_request():
        return render_template("notifications/marked_read.html", notification=notification)
    return redirect(url_for("notifications.index", before=_before_argument()))


@bp.route("/notifications/read", methods=["POST"])
@customer
def mark_all_read() -> Response:
    """Mark every unread notification of the person read."""
    service.mark_all_read(current_user.id)
    db.session.commit()
    flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route(f"/notifications/{NOTIFICATION_ID}/open")
@customer
def open_notification(notification_id: int) -> Response:
    """Follow a notification's link, from the list or the email, and mark it read on the way.

    A link, not a form, because the email must be able to carry it; marking read is harmless and
    idempotent, so a forged request can do no more than that.
    """
    notification = _own_or_404(notification_id)
    service.mark_read(notification)
    db.session.commit()
    return redirect(notification.url or url_for("notifications.index"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@customer
def preferences() -> str | tuple[str, int] | Response:
    """Which kinds of notification also come by email: the enabled plugins' kinds meant for this person
    (staff kinds to staff, customer kinds to customers, the core's to everyone)."""
    types = service.offered_types(current_user)
    form = EmailPreferencesForm(kinds=list(types))
    if form.validate_on_submit():
        service.save_email_choices(current_user.id, list(types), set(form.emailed_kinds.data or []))
        db.session.commit()
        flash(_("Your email choices are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    if form.is_submitted():
        chosen = set(form.emailed_kinds.data or [])
    else:
        chosen = {kind for kind, wanted in service.email_choices(current_user.id, types).items() if wanted}
    page = render_template(
        "notifications/preferences.html", form=form, types=list(types.values()), chosen=chosen
    )
    return (page, 400) if form.errors else page


def _own_or_404(notification_id: int) -> Notification:
    notification = service.find_own(current_user.id, notification_id)
    if notification is None:
        abort(404)
    return notification


def _before_argument() -> str | None:
    """The page cursor from the query string; one that names no page means the first page."""
    before = request.args.get("before")
    return before if read_cursor(before, [Notification.id]) is not None else None
