"""The administrators' webhook pages: the list, adding and changing one, and its delivery log.

A new or rotated secret is shown once, on the page that answers the form, as API tokens are: never
in a redirect, a flash message or the session.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.access import admin
from portal.buttons import ButtonForm
from portal.database import db
from portal.paging import keyset_page
from portal.webhooks.delivery import queue_test_event, resend, switch_off, switch_on
from portal.webhooks.forms import WebhookForm
from portal.webhooks.models import DELIVERY_STATUSES, Webhook, WebhookAttempt, WebhookDelivery
from portal.webhooks.subscriptions import (
    create_webhook,
    delete_webhook,
    find_delivery,
    rotate_secret,
    subscribable_events,
    update_webhook,
)

bp = Blueprint("webhooks", __name__, url_prefix="/staff/webhooks")

LOG_PAGE_SIZE = 25


@bp.route("/")
@admin
def index() -> str:
    """Every webhook, where it sends and whether it is on."""
    webhooks = db.session.scalars(select(Webhook).order_by(Webhook.id)).all()
    return render_template("staff/webhooks/index.html", webhooks=webhooks)


@bp.route("/new", methods=["GET", "POST"])
@admin
def new() -> tuple[str, int]:
    """The form for a webhook; once saved, its secret is shown on this answer only."""
    form = WebhookForm(subscribable_events())
    if form.validate_on_submit():
        webhook = create_webhook(
            form.url.data, form.description.data or "", form.chosen_events(), current_user.id
        )
        db.session.commit()
        return render_template(
            "staff/webhooks/secret.html", webhook=webhook, secret=webhook.secret, new=True
        ), 201
    return render_template("staff/webhooks/form.html", form=form, webhook=None), 400 if form.errors else 200


@bp.route("/<int:webhook_id>")
@admin
def detail(webhook_id: int) -> str:
    """A webhook's settings and its delivery log, newest first, optionally of one status."""
    webhook = _webhook(webhook_id)
    status = request.args.get("status", "")
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    if status in DELIVERY_STATUSES:
        query = query.where(WebhookDelivery.status == status)
    else:
        status = ""
    page = keyset_page(
        query, [WebhookDelivery.id], cursor=request.args.get("cursor"), size=LOG_PAGE_SIZE, descending=True
    )
    labels = {event.name: event.label for event in subscribable_events()}
    return render_template(
        "staff/webhooks/detail.html",
        webhook=webhook,
        page=page,
        status=status,
        statuses=DELIVERY_STATUSES,
        labels=labels,
        button=ButtonForm(),
    )


@bp.route("/<int:webhook_id>/edit", methods=["GET", "POST"])
@admin
def edit(webhook_id: int) -> Any:
    """Change a webhook's address, description or events."""
    webhook = _webhook(webhook_id)
    offered = subscribable_events()
    if request.method == "GET":
        form = WebhookForm(offered, kept=webhook.events, obj=webhook)
    else:
        form = WebhookForm(offered, kept=webhook.events)
    if form.validate_on_submit():
        update_webhook(
            webhook, form.url.data, form.description.data or "", form.chosen_events(), current_user.id
        )
        db.session.commit()
        flash(_("Webhook saved."), "success")
        return redirect(url_for("webhooks.detail", webhook_id=webhook.id), 303)
    return render_template(
        "staff/webhooks/form.html", form=form, webhook=webhook
    ), 400 if form.errors else 200


@bp.route("/<int:webhook_id>/test", methods=["POST"])
@admin
def send_test(webhook_id: int) -> Response:
    """Send a made-up event now; the log shows what the receiver answered."""
    webhook = _webhook(webhook_id)
    if _button_valid():
        delivery = queue_test_event(webhook, current_user)
        db.session.commit()
        flash(_("Test event sent; its delivery is at the top of the log."), "success")
        return redirect(url_for("webhooks.delivery", webhook_id=webhook.id, delivery_id=delivery.id), 303)
    return redirect(url_for("webhooks.detail", webhook_id=webhook.id), 303)


@bp.route("/<int:webhook_id>/switch", methods=["POST"])
@admin
def switch(webhook_id: int) -> Response:
    """Switch a webhook off (nothing more is sent) or on again (its failure streak is forgotten)."""
    webhook = _webhook(webhook_id)
    if _button_valid():
        if request.form.get("on") == "1":
            changed = switch_on(webhook, current_user.id)
            message = _("Webhook switched on: new events are sent to it.")
        else:
            changed = switch_off(webhook, current_user.id)
            message = _("Webhook switched off: nothing is sent to it until you switch it on.")
        db.session.commit()
        flash(message if changed else _("Nothing changed: someone else did this a moment ago."), "success")
    return redirect(url_for("webhooks.detail", webhook_id=webhook.id), 303)


@bp.route("/<int:webhook_id>/rotate", methods=["POST"])
@admin
def rotate(webhook_id: int) -> Any:
    """A new signing secret, shown once; the old one keeps signing beside it for a day."""
    webhook = _webhook(webhook_id)
    if not _button_valid():
        return redirect(url_for("webhooks.detail", webhook_id=webhook.id), 303)
    secret = rotate_secret(webhook, current_user.id)
    db.session.commit()
    return render_template("staff/webhooks/secret.html", webhook=webhook, secret=secret, new=False)


@bp.route("/<int:webhook_id>/delete", methods=["POST"])
@admin
def delete(webhook_id: int) -> Response:
    """Remove a webhook and its delivery log."""
    webhook = _webhook(webhook_id)
    if not _button_valid():
        return redirect(url_for("webhooks.detail", webhook_id=webhook.id), 303)
    delete_webhook(webhook, current_user.id)
    db.session.commit()
    flash(_("Webhook deleted."), "success")
    return redirect(url_for("webhooks.index"), 303)


@bp.route("/<int:webhook_id>/deliveries/<int:delivery_id>")
@admin
def delivery(webhook_id: int, delivery_id: int) -> str:
    """One delivery: the body sent, and each attempt's request headers and the receiver's answer."""
    webhook = _webhook(webhook_id)
    found = _delivery(webhook, delivery_id)
    attempts = db.session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == found.id).order_by(WebhookAttempt.id)
    ).all()
    return render_template(
        "staff/webhooks/delivery.html",
        webhook=webhook,
        delivery=found,
        attempts=attempts,
        button=ButtonForm(),
    )


@bp.route("/<int:webhook_id>/deliveries/<int:delivery_id>/resend", methods=["POST"])
@admin
def resend_delivery(webhook_id: int, delivery_id: int) -> Response:
    """Send a finished delivery again, under the same id, so a receiver that has it already ignores it."""
    webhook = _webhook(webhook_id)
    found = _delivery(webhook, delivery_id)
    if _button_valid():
        if resend(found):
            flash(_("Sent again."), "success")
        else:
            flash(_("This delivery is still being sent; wait for it to finish."), "info")
        db.session.commit()
    return redirect(url_for("webhooks.delivery", webhook_id=webhook.id, delivery_id=found.id), 303)


def _button_valid() -> bool:
    if ButtonForm().validate_on_submit():
        return True
    flash(_("The form expired; please try again."), "error")
    return False


def _webhook(webhook_id: int) -> Webhook:
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None:
        abort(404)
    return webhook


def _delivery(webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    found = find_delivery(webhook.id, delivery_id)
    if found is None:
        abort(404)
    return found
