"""The administrators' integration pages: the list, making one, and an integration's tokens.

An integration's new token is shown once, on the page that answers the form, as a person's own are.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.access import admin
from portal.accounts.models import User
from portal.api.token_views import TokenForm, revoke_with_notice, token_form
from portal.api.tokens import ApiToken, issue_token, tokens_of
from portal.buttons import ButtonForm
from portal.database import db, utcnow
from portal.integrations.accounts import (
    create_integration,
    find_integration,
    integration_summaries,
    name_taken,
)
from portal.integrations.forms import IntegrationForm

bp = Blueprint("integrations", __name__, url_prefix="/staff/integrations")


@bp.route("/", methods=["GET", "POST"])
@admin
def index() -> Response | tuple[str, int]:
    """Every integration with its live tokens, and the form to make one."""
    form = IntegrationForm()
    if form.validate_on_submit():
        if name_taken(form.name.data):
            form.name.errors.append(
                _("Another integration has this name. Choose a name that tells them apart.")
            )
        else:
            integration = create_integration(form.name.data, form.access.data, current_user)
            db.session.commit()
            flash(_("Integration made. Make a token for it below."), "success")
            return redirect(url_for("integrations.detail", integration_id=integration.id), 303)
    page = render_template("staff/integrations/index.html", form=form, integrations=integration_summaries())
    return page, 400 if form.errors else 200


@bp.route("/<int:integration_id>/", methods=["GET", "POST"])
@admin
def detail(integration_id: int) -> tuple[str, int]:
    """An integration's tokens and the form for a new one, whose text is shown on this answer only."""
    integration = _integration_or_404(integration_id)
    form = token_form(integration)
    if form.validate_on_submit():
        expires_at = utcnow() + timedelta(days=form.lifetime.data)
        token, text = issue_token(integration, form.name.data, form.scopes(), expires_at, actor=current_user)
        db.session.commit()
        fresh = token_form(integration, formdata=None)
        return _detail_page(integration, fresh, status=201, new_token=token, new_text=text)
    return _detail_page(integration, form, status=400 if form.errors else 200)


def _detail_page(integration: User, form: TokenForm, status: int, **new: Any) -> tuple[str, int]:
    return render_template(
        "staff/integrations/detail.html",
        integration=integration,
        form=form,
        tokens=tokens_of(integration),
        button=ButtonForm(),
        **new,
    ), status


@bp.route("/<int:integration_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@admin
def revoke(integration_id: int, token_id: int) -> Response:
    """Revoke one of the integration's tokens; a token of anyone else is not found."""
    integration = _integration_or_404(integration_id)
    owned = select(ApiToken.id).where(ApiToken.id == token_id, ApiToken.user_id == integration.id)
    if db.session.scalar(owned) is None:
        abort(404)
    revoke_with_notice(integration, token_id)
    return redirect(url_for("integrations.detail", integration_id=integration.id), 303)


def _integration_or_404(integration_id: int) -> User:
    integration = find_integration(integration_id)
    if integration is None:
        abort(404)
    return integration
