"""WTForms' own messages ("This field is required.") in the reader's language, read from disk once.

Flask-WTF looks for the catalogue on ``request.wtforms_translations`` and, finding none, loads it
from WTForms' package folder for every request that builds a form: on the ticket page that was a
twentieth of the request. The catalogues do not change while the process runs, so the request
class below answers from a catalogue kept per language instead.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.support import NullTranslations, Translations
from wtforms.i18n import messages_path

from portal.babel_state import current_locale


@lru_cache(maxsize=32)
def wtforms_catalogue(locale: Locale | None) -> Translations | NullTranslations:
    """WTForms' catalogue for ``locale``; English (the messages as written) when it has none."""
    if locale is None:
        return NullTranslations()
    return Translations.load(messages_path(), [locale], domain="wtforms")


class FormMessagesRequest:
    """The request's side of the arrangement: Flask-WTF reads this attribute before loading its own."""

    @property
    def wtforms_translations(self) -> Translations | NullTranslations:
        """The catalogue of the language being read now (a mail in another language follows it)."""
        return wtforms_catalogue(current_locale())
