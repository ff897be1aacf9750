"""Numbers inside translated sentences, written in the reader's digits.

``_("You have %(num)d points.", num=balance)`` would write the number with Python's ``%d``: ASCII
digits in every language, so a Persian sentence read "۱۲ ماه 400 امتیاز". Here every ``gettext``
(Python's ``_``, ``ngettext``, ``lazy_gettext`` and the templates' ``_``/``ngettext``) writes a number
given as a placeholder through ``portal.numbers.format_number`` instead, after translation, so
neither the English source nor a translation changes: ``%(num)d`` stays in both.

- ``%(name)d`` / ``%(name)i``: a whole number with the language's group separators ("1,250", "۱٬۲۵۰");
  ``%(name)+d`` adds the plus sign of a change ("+۱۰۰").
- ``%(name).2f``: that many decimals; ``%(name)s`` with a number: as ``|number`` writes it.
- References and years are not grouped: a placeholder named ``id``, ``year``, ``number`` or ending in
  ``_id`` is written "#۱۲۳۴", not "#۱٬۲۳۴".
Text placeholders (names, addresses) are left as they are; ``True``/``False`` are not numbers.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, current_app
from flask_babel import Babel, Domain, get_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from portal.babel_state import (
    MESSAGE_DOMAIN,
    current_translations,
    remember_translations,
    remembered_translations,
)
from portal.numbers import format_number

# One printf placeholder with a name, or an escaped percent sign.
_PLACEHOLDER = re.compile(
    r"%%|%\((?P<name>[^)]+)\)(?P<flags>[#0\- +]*)\d*(?:\.(?P<precision>\d+))?(?P<kind>[a-zA-Z])"
)
UNGROUPED_NAMES = frozenset({"id", "year", "number"})
_NUMERIC_KINDS = frozenset("diufFgGs")


def localize_numbers(text: str, variables: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``text`` and ``variables`` with every number placeholder turned into the reader's written number.

    Returns the text to ``%``-format and the values to format it with; a placeholder whose value is
    not a number is left untouched.
    """
    values = dict(variables)

    def rewrite(match: re.Match[str]) -> str:
        name = match.group("name")
        if name is None or match.group("kind") not in _NUMERIC_KINDS:
            return match.group(0)
        value = variables.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return match.group(0)
        kind, precision, flags = match.group("kind"), match.group("precision"), match.group("flags")
        grouping = name not in UNGROUPED_NAMES and not name.endswith("_id")
        if kind in "diu":
            value, digits = int(value), None
        else:
            digits = int(precision) if precision is not None else (6 if kind in "fF" else None)
        key = f"{name}|{flags}{precision or ''}{kind}"
        values[key] = format_number(value, grouping=grouping, signed="+" in flags, fraction_digits=digits)
        return f"%({key})s"

    return _PLACEHOLDER.sub(rewrite, text), values


def fill(text: str, variables: dict[str, Any]) -> str:
    """``text % variables`` with the numbers in the reader's digits."""
    template, values = localize_numbers(text, variables)
    return template % values


class NumberedDomain(Domain):
    """Flask-Babel's message domain, with numbers in placeholders written for the reader.

    One per app (``PortalBabel.domain_instance``): it keeps the merged catalogue of each language
    once loaded, as the catalogues on disk do not change while the app runs.
    """

    def __init__(self, domain: str) -> None:
        super().__init__(domain=domain)
        self._by_locale: dict[Locale, Translations | NullTranslations] = {}

    def get_translations(self) -> Translations | NullTranslations:
        """The reader's catalogue, found by the ``Locale`` itself and remembered for the request.

        Flask-Babel finds it by ``str(locale)``, which writes out the identifier again on each of
        the hundreds of lookups a page makes; a ``Locale`` hashes cheaply, and once found for a
        request the catalogue is read back without asking for the locale again (portal.babel_state).
        """
        remembered = remembered_translations(self)
        if remembered is not None:
            return remembered
        locale = get_locale()
        if locale is None:
            return super().get_translations()
        translations = self._by_locale.get(locale)
        if translations is None:
            translations = self._by_locale[locale] = super().get_translations()
        remember_translations(self, locale, translations)
        return translations

    def gettext(self, string: str, **variables: Any) -> str:
        """Translate ``string`` and fill in ``variables``, numbers in the reader's digits."""
        text = self.get_translations().ugettext(string)
        return fill(text, variables) if variables else text

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        """The plural form for ``num``, filled in; ``%(num)d`` is the count in the reader's digits."""
        variables.setdefault("num", num)
        return fill(self.get_translations().ungettext(singular, plural, num), variables)

    def pgettext(self, context: str, string: str, **variables: Any) -> str:
        """Like ``gettext``, with a message context."""
        text = self.get_translations().upgettext(context, string)
        return fill(text, variables) if variables else text

    def npgettext(self, context: str, singular: str, plural: str, num: int, **variables: Any) -> str:
        """Like ``ngettext``, with a message context."""
        variables.setdefault("num", num)
        return fill(self.get_translations().unpgettext(context, singular, plural, num), variables)


class PortalBabel(Babel):
    """Flask-Babel whose ``gettext`` family writes numbers in the reader's digits (``NumberedDomain``)."""

    @property
    def domain_instance(self) -> Domain:
        """The app's message domain, made once per app so its catalogues load once per process.

        Not a property of this object, which is shared by every app of the process (tests make many,
        each with its own plugins' catalogue folders).
        """
        domain = current_app.extensions.get(MESSAGE_DOMAIN)
        if domain is None:
            domain = current_app.extensions[MESSAGE_DOMAIN] = NumberedDomain(domain=self.domain)
        return domain


def _template_fill(context: Context, text: str, variables: dict[str, Any]) -> str:
    if not variables and "%" not in text:
        # Most of a page's messages: nothing to fill, so skip the formatting, a quarter of the call.
        return Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704  (trusted, as below)
    template, values = localize_numbers(text, variables)
    if context.eval_ctx.autoescape:
        return Markup(template) % values  # noqa: S704  (the translation is trusted; values are escaped)
    return template % values


@pass_context
def template_gettext(context: Context, string: str, **variables: Any) -> str:
    """``{{ _("…%(count)d…", count=n) }}``: Jinja's new-style gettext, numbers in the reader's digits."""
    return _template_fill(context, current_translations().ugettext(string), variables)


@pass_context
def template_ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
    """``{{ ngettext("%(num)d point", "%(num)d points", n) }}``, the count in the reader's digits."""
    variables.setdefault("num", num)
    return _template_fill(context, current_translations().ungettext(singular, plural, num), variables)


@pass_context
def template_pgettext(context: Context, message_context: str, string: str, **variables: Any) -> str:
    """``{{ pgettext("context", "…") }}`` with numbers in the reader's digits."""
    return _template_fill(context, current_translations().upgettext(message_context, string), variables)


@pass_context
def template_npgettext(
    context: Context, message_context: str, singular: str, plural: str, num: int, **variables: Any
) -> str:
    """``{{ npgettext("context", "…", "…", n) }}`` with numbers in the reader's digits."""
    variables.setdefault("num", num)
    translated = current_translations().unpgettext(message_context, singular, plural, num)
    return _template_fill(context, translated, variables)


def install_template_gettext(app: Flask) -> None:
    """Put the number-writing gettext family over the one Flask-Babel gave Jinja (after ``init_app``)."""
    app.jinja_env.globals.update(
        # ``_`` straight to ours: Jinja's own alias looks ``gettext`` up and calls it, twice the cost.
        _=template_gettext,
        gettext=template_gettext,
        ngettext=template_ngettext,
        pgettext=template_pgettext,
        npgettext=template_npgettext,
    )
