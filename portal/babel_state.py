"""The reader's locale and catalogue, read from what Flask-Babel already worked out for this request.

Flask-Babel answers ``get_locale()`` and ``get_translations()`` by finding its per-request state and
its domain again on every call, several context-local reads each. A page asks 50 to 150 times (every
translated text, date and number), so those reads cost more than the lookups themselves. Here the
answers are read straight from that state, and the catalogue is remembered beside the locale object
it was found for: ``force_locale`` (mail in the recipient's language) and ``refresh()`` (after a
language change) replace that object, so they still get their own catalogue.
"""

from __future__ import annotations

from types import SimpleNamespace

from babel import Locale
from babel.support import NullTranslations, Translations
from flask.globals import _cv_app
from flask_babel import Domain, get_locale, get_translations

# Flask-Babel's per-request state on ``g`` (flask_babel._get_current_context) and its locale in it.
_STATE = "_flask_babel"
_LOCALE = "babel_locale"
# Where each app keeps its message domain (``app.extensions``), made by message_numbers.PortalBabel.
MESSAGE_DOMAIN = "portal_message_domain"
# Where the catalogue found for a domain and locale is kept in that state.
_REMEMBERED = "portal_translations"


def _state() -> SimpleNamespace | None:
    # The app context from Flask's own context variable: ``g`` and ``current_app`` are proxies, and
    # going through them costs more than the rest of a lookup.
    context = _cv_app.get(None)
    return getattr(context.g, _STATE, None) if context is not None else None


def current_locale() -> Locale | None:
    """The reader's locale, as ``flask_babel.get_locale()`` gives it, without asking again once known."""
    locale = getattr(_state(), _LOCALE, None)
    return locale if locale is not None else get_locale()


def current_translations() -> Translations | NullTranslations:
    """The reader's catalogue from the app's own domain, skipping Flask-Babel's search for the domain."""
    context = _cv_app.get(None)
    domain = context.app.extensions.get(MESSAGE_DOMAIN) if context is not None else None
    return domain.get_translations() if domain is not None else get_translations()


def remembered_translations(domain: Domain) -> Translations | NullTranslations | None:
    """The catalogue ``domain`` gave for the reader's current locale in this request, if it gave one."""
    state = _state()
    remembered = getattr(state, _REMEMBERED, None)
    if remembered is None:
        return None
    for_domain, for_locale, translations = remembered
    if for_domain is not domain or for_locale is not getattr(state, _LOCALE, None):
        return None
    return translations


def remember_translations(
    domain: Domain, locale: Locale, translations: Translations | NullTranslations
) -> None:
    """Keep ``translations`` as ``domain``'s catalogue for ``locale`` until the request ends."""
    state = _state()
    if state is not None and getattr(state, _LOCALE, None) is locale:
        setattr(state, _REMEMBERED, (domain, locale, translations))
