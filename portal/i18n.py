"""Language and time zone choice, and the text direction a language needs."""

from __future__ import annotations

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import gettext
from flask_login import current_user

from portal.babel_state import current_locale
from portal.config import DEFAULTS

# A visitor's choice from the language switcher (portal.accounts.language_views).
LANGUAGE_COOKIE = "portal_language"


def select_locale() -> str:
    """The signed-in person's language, else a visitor's choice from the switcher, else the browser's
    best match; the default outside a request.

    Jobs, scheduled tasks and commands have no request; they translate in the default language
    unless they choose one with ``force_locale`` (mail does, for its recipient).
    """
    languages = current_app.config["PORTAL_LANGUAGES"]
    if not has_request_context():
        return current_app.config["PORTAL_DEFAULT_LANGUAGE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if request.cookies.get(LANGUAGE_COOKIE) in languages:
        return request.cookies[LANGUAGE_COOKIE]
    return request.accept_languages.best_match(languages) or current_app.config["PORTAL_DEFAULT_LANGUAGE"]


def select_timezone() -> str | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def text_direction() -> str:
    """'rtl' for Persian and other right-to-left languages, so the layout mirrors."""
    locale: Locale | None = current_locale()
    return locale.text_direction if locale is not None else "ltr"


def product_name() -> str:
    """The portal's name as readers see it, in the layout and the page titles.

    A name the deployment configured (``PORTAL_NAME``) stays as configured; the built-in default
    ("Customer Portal") is a description rather than a name, so it is said in the reader's language.
    """
    configured = current_app.config["PORTAL_NAME"]
    if configured == DEFAULTS["PORTAL_NAME"]:
        return gettext("Customer Portal")
    return str(configured)


def gettext_or_source(text: str, **values: object) -> str:
    """``text`` translated inside a request; as written, with ``values`` filled in, outside one.

    Code that also runs in commands, ticks and event handlers (ledger reasons, demo data) has no
    person whose language to use there, so it keeps the source text.
    """
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text
