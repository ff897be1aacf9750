"""The language switcher on every page: a visitor's choice kept in a cookie, a person's in their account.

The switcher is a form of buttons, one per language, posted with the CSRF token, so it works without
JavaScript. It sends the reader back where they were, but only to a path on this portal.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired, Length

from portal.access import public
from portal.accounts.forms import language_choices
from portal.database import db
from portal.i18n import LANGUAGE_COOKIE
from portal.urls import local_path

bp = Blueprint("language", __name__)

LANGUAGE_COOKIE_DAYS = 400  # the longest browsers keep a cookie
NEXT_MAX = 2000


class LanguageForm(FlaskForm):
    """The switcher: the language chosen and the page to go back to."""

    language = SelectField(_l("Language"), validators=[InputRequired()])
    next = HiddenField(validators=[Length(max=NEXT_MAX)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


@bp.app_template_global()
def language_switcher() -> dict[str, object]:
    """What the layout's switcher shows: each language named in itself, and the page to come back to."""
    return {"choices": language_choices(), "next": request.full_path.rstrip("?")}


@bp.route("/language", methods=["POST"])
@public
def choose_language() -> Response:
    """Remember the language and go back; a form that does not check out changes nothing."""
    form = LanguageForm()
    back = local_path(form.next.data) or url_for("dashboard.index")
    response = redirect(back)
    if not form.validate_on_submit():
        return response
    choice = form.language.data
    if current_user.is_authenticated:
        current_user.language = choice
        db.session.commit()
    response.set_cookie(
        LANGUAGE_COOKIE,
        choice,
        max_age=LANGUAGE_COOKIE_DAYS * 24 * 3600,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response
