"""Numbers as a reader reads them: their language's separators, signs and digits.

Every count, balance, percentage and reference a person reads goes through the functions here (the
template filters ``|number``, ``|signed`` and ``|percent`` call them, and numbers passed to
``gettext`` as placeholders are written by them too, see ``portal.message_numbers``), so a Persian
reader sees ۱٬۲۵۰ and ۲۵٪ where an English reader sees 1,250 and 25%.

Babel writes the separators and patterns of CLDR, the Unicode locale data, for the language's own
numbering system, but keeps ASCII digits and the pattern's ASCII signs; the digits and the signs
(Persian writes a left-to-right mark before "+" and "−", so the sign stays left of the number inside
right-to-left text) come from the same CLDR data here.

What people type goes the other way: ``ascii_digits`` reads Persian (۰–۹) and Arabic-Indic (٠–٩)
digits as 0–9, for forms and query strings.
"""

from __future__ import annotations

import unicodedata
from copy import copy
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, format_percent
from flask import Flask

from portal.dates import DIGIT_TABLES, DIGITS, _locale, reader_language

Number = int | float | Decimal
# Named styles for callers that choose by name (a staff figure's ``format``): decimals shown.
NUMBER_STYLES = {"integer": 0, "decimal": 1}

# What a person may type for the digits 0 to 9, besides ASCII: every numbering system we write.
_TYPED_DIGITS = str.maketrans(
    {digit: str(value) for digits in DIGITS.values() for value, digit in enumerate(digits)}
)
# Marks a keyboard or a copied number brings along: they carry direction, not value.
_DIRECTION_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u2066\u2067\u2068\u2069"))


def reader_locale(locale: str | Locale | None = None) -> Locale:
    """``locale`` as a Babel ``Locale``; ``None`` is the language of whoever is reading now."""
    if isinstance(locale, Locale):
        return locale
    return _locale(str(locale) if locale is not None else reader_language())


def format_number(
    value: Number,
    style: str | None = None,
    *,
    locale: str | Locale | None = None,
    grouping: bool = True,
    signed: bool = False,
    fraction_digits: int | None = None,
) -> str:
    """``value`` in the reader's digits and separators: "1,250" in English, "۱٬۲۵۰" in Persian.

    ``grouping=False`` leaves out the thousands separator, for references a person may quote or type
    back (ticket #۱۲۳۴, not #۱٬۲۳۴). ``signed=True`` writes a plus sign on a positive number, for
    changes (+۱۰۰ points); a negative number always carries the language's minus sign. Without
    ``fraction_digits`` up to three decimals are shown as needed; with it, exactly that many.
    ``style`` names a count of decimals instead: "integer" (none) or "decimal" (one).
    """
    if style is not None:
        fraction_digits = NUMBER_STYLES[style]
    babel_locale = reader_locale(locale)
    if type(value) is int:
        return _written_whole_number(value, babel_locale, grouping, signed, fraction_digits)
    return _written_number(value, babel_locale, grouping, signed, fraction_digits)


def _written_number(
    value: Number, locale: Locale, grouping: bool, signed: bool, fraction_digits: int | None
) -> str:
    system = _numbering_system(locale)
    pattern = None
    if fraction_digits is not None:
        pattern = "#,##0" + ("." + "0" * fraction_digits if fraction_digits > 0 else "")
    text = format_decimal(
        _magnitude(value),
        format=pattern,
        locale=locale,
        group_separator=grouping,
        numbering_system=system,
    )
    return _signed(native_digits(text, locale), value, locale, always=signed)


# Whole numbers (references, counts, points) come back on every page, and Babel's formatting is most
# of what writing one costs; the text depends only on these arguments, so each is written once per
# process. Only ``int``: as a key -0.0 equals 0, yet Babel writes it "-0".
_written_whole_number = lru_cache(maxsize=4096)(_written_number)


def format_percent_value(
    value: Number, *, locale: str | Locale | None = None, fraction_digits: int = 0
) -> str:
    """The share ``value`` (0.25 is a quarter) as a percentage: "25%" in English, "۲۵٪" in Persian.

    The percent sign and its place come from the language's CLDR pattern, so a translation never has
    to carry a number and a "%%" of its own.
    """
    babel_locale = reader_locale(locale)
    system = _numbering_system(babel_locale)
    pattern = copy(babel_locale.percent_formats[None])
    pattern.frac_prec = (fraction_digits, fraction_digits)
    text = format_percent(_magnitude(value), format=pattern, locale=babel_locale, numbering_system=system)
    percent_sign = babel_locale.number_symbols[system].get("percentSign", "%")
    text = native_digits(text.replace("%", percent_sign), babel_locale)
    return _signed(text, value, babel_locale, always=False)


def native_digits(text: str, locale: str | Locale | None = None) -> str:
    """``text`` with its ASCII digits written in the digits of ``locale``'s numbering system."""
    table = DIGIT_TABLES.get(reader_locale(locale).default_numbering_system)
    return text.translate(table) if table else text


def ascii_digits(text: str) -> str:
    """``text`` with Persian and Arabic-Indic digits read as 0–9 and direction marks dropped.

    For everything a person types where a number is asked for: a Persian keyboard types ۱۲, an Arabic
    one ١٢, and both mean 12.
    """
    return text.translate(_TYPED_DIGITS).translate(_DIRECTION_MARKS)


def parse_integer(text: str | None) -> int | None:
    """The whole number typed (``"۱۲"``, ``"١٢"``, ``" 12 "``, ``"−3"``), or ``None`` if it is not one.

    Group separators of any of our languages are allowed ("1,200", "۱٬۲۰۰"); anything else is not.
    """
    if text is None:
        return None
    cleaned = ascii_digits(text).strip().replace("\u2212", "-")
    for separator in (",", "\u066c", "\u00a0", "\u202f"):
        cleaned = cleaned.replace(separator, "")
    sign, digits = (cleaned[0], cleaned[1:]) if cleaned[:1] in ("+", "-") else ("", cleaned)
    if not digits.isascii() or not digits.isdigit() or len(digits) > 30:
        return None
    return int(sign + digits)


def _magnitude(value: Number) -> float | Decimal:
    return -value if value < 0 else value


def _numbering_system(locale: Locale) -> str:
    system = locale.default_numbering_system
    return system if system in locale.number_symbols else "latn"


def _signed(text: str, value: Number, locale: Locale, *, always: bool) -> str:
    if not any(character.isdigit() and unicodedata.digit(character) for character in text):
        return text  # rounded to nothing: -0.2 shown without decimals is "0", not "−0"
    symbols = locale.number_symbols[_numbering_system(locale)]
    if value < 0:
        return symbols.get("minusSign", "-") + text
    if always and value > 0:
        return symbols.get("plusSign", "+") + text
    return text


def signed_number(value: Number, grouping: bool = True) -> str:
    """``{{ entry.points|signed }}``: a change, with its sign always shown (+۱۰۰, −۵۰)."""
    return format_number(value, signed=True, grouping=grouping)


def number_filter(value: Number | None, grouping: bool = True, fraction_digits: int | None = None) -> str:
    """``{{ count|number }}``, ``{{ ticket.id|number(grouping=False) }}``; nothing for ``None``."""
    if value is None:
        return ""
    return format_number(value, grouping=grouping, fraction_digits=fraction_digits)


def percent_filter(value: Number | None, fraction_digits: int = 0) -> str:
    """``{{ share|percent }}`` for a share between 0 and 1; nothing for ``None``."""
    if value is None:
        return ""
    return format_percent_value(value, fraction_digits=fraction_digits)


def install_number_filters(app: Flask) -> None:
    """``|number``, ``|signed`` and ``|percent`` in every template, a plugin's too.

    They replace Flask-Babel's ``|numberformat``-style filters, which write ASCII digits in any language.
    """
    app.jinja_env.filters.update(
        number=number_filter,
        signed=signed_number,
        percent=percent_filter,
        numberformat=number_filter,
        percentformat=percent_filter,
    )
