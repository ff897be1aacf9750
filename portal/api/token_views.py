"""The account page where a person makes, reads and revokes their own API tokens.

A token acts as the person who made it, so only they see and manage their tokens; staff have no page
onto other people's. The token's text is shown once, on the page that answers the form: it is never
put in a redirect, a flash message or the session, so it lives only in that one response.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.access import customer
from portal.accounts.models import User
from portal.api.access import is_read_only, scope_areas
from portal.api.tokens import NAME_MAX, ApiToken, issue_token, revoke_token, tokens_of
from portal.buttons import ButtonForm
from portal.database import db, utcnow
from portal.plugin_info import plugin_info

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")

LIFETIMES = (
    SelectChoice(7, _l("7 days")),
    SelectChoice(30, _l("30 days")),
    SelectChoice(90, _l("90 days")),
    SelectChoice(365, _l("One year")),
)
CORE_AREA_LABELS = {
    "account": _l("Your account"),
    "notifications": _l("Notifications"),
    "organizations": _l("Organizations"),
    "customers": _l("Customer accounts (staff)"),
    "segments": _l("Segments (staff)"),
    "events": _l("Events (staff)"),
    "webhooks": _l("Webhooks (administrators)"),
}
SCOPE_FIELD = "scope_"
NO_ACCESS = "none"


class TokenForm(FlaskForm):
    """A token's name, how long it lasts, and (added per request) the access it has in each area."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the token a name, such as the tool that will use it.")),
            Length(max=NAME_MAX, message=_l("A token's name has at most %(max)d characters.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"maxlength": NAME_MAX, "autocomplete": "off"},
    )
    lifetime = SelectField(_l("Expires after"), choices=LIFETIMES, coerce=int, default=30)

    def scope_fields(self) -> list[tuple[str, RadioField]]:
        """(area, its field) for each area, in the order the areas were given."""
        return [
            (field.name[len(SCOPE_FIELD) :], field) for field in self if field.name.startswith(SCOPE_FIELD)
        ]

    def scopes(self) -> list[str]:
        """The scopes chosen: ``<area>:read`` or ``<area>:write`` (which includes reading)."""
        return [f"{area}:{field.data}" for area, field in self.scope_fields() if field.data != NO_ACCESS]

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' checks, and at least one scope: a token that may do nothing is a mistake."""
        valid = super().validate(extra_validators)
        if not self.scopes():
            self.form_errors.append(_("Choose read or read and write for at least one area."))
            return False
        return valid


def token_form(owner: User, **kwargs: Any) -> TokenForm:
    """The form for a token of ``owner``, with a choice of access for each area the API has today.

    The areas depend on the enabled plugins and on the owner's role, so the fields are added at
    request time; ``kwargs`` go to the form (``formdata=None`` for an empty one).
    """
    areas = scope_areas(staff=owner.is_staff, admin=owner.is_admin)
    fields = {
        f"{SCOPE_FIELD}{area}": _access_field(area, writable=not is_read_only(area, owner.is_staff))
        for area in areas
    }
    return type("AreaTokenForm", (TokenForm,), fields)(**kwargs)


def _access_field(area: str, writable: bool) -> RadioField:
    """No access, read, and (where some route of the area changes something) read and write."""
    choices = [SelectChoice(NO_ACCESS, _l("No access")), SelectChoice("read", _l("Read"))]
    if writable:
        choices.append(SelectChoice("write", _l("Read and write")))
    return RadioField(_area_label(area), choices=choices, default=NO_ACCESS)


def _area_label(area: str) -> Any:
    return CORE_AREA_LABELS.get(area) or plugin_info(area).display_name


@bp.route("/", methods=["GET", "POST"])
@customer
def index() -> tuple[str, int]:
    """The person's tokens and the form to make one; a made token's text is shown on this answer only."""
    form = token_form(current_user)
    if form.validate_on_submit():
        return _issue(form)
    return _page(form, status=400 if form.errors else 200)


def _issue(form: TokenForm) -> tuple[str, int]:
    """Make the token and answer with its text, this once, above a fresh form."""
    expires_at = utcnow() + timedelta(days=form.lifetime.data)
    token, text = issue_token(current_user, form.name.data, form.scopes(), expires_at)
    db.session.commit()
    return _page(token_form(current_user, formdata=None), new_token=token, new_text=text, status=201)


def _page(form: TokenForm, status: int, **new: Any) -> tuple[str, int]:
    return render_template(
        "account/api_tokens.html", form=form, tokens=tokens_of(current_user), button=ButtonForm(), **new
    ), status


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@customer
def revoke(token_id: int) -> Response:
    """Revoke one of the person's own tokens; another person's token is not found, as if absent."""
    _require_own_token(token_id)
    revoke_with_notice(current_user, token_id)
    return redirect(url_for("api_tokens.index"), 303)


def revoke_with_notice(owner: User, token_id: int) -> None:
    """Revoke ``owner``'s token from a button press, commit, and tell the person what happened.

    The person's own page and an integration's page share it; the caller has checked the token is
    ``owner``'s and that the person may act for them.
    """
    if not ButtonForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
    elif revoke_token(owner, token_id, current_user):
        db.session.commit()
        flash(_("Token revoked."), "success")
    else:
        flash(_("That token was already revoked."), "info")


def _require_own_token(token_id: int) -> None:
    owned = select(ApiToken.id).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    if db.session.scalar(owned) is None:
        abort(404)
