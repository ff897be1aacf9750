"""Sentences that mix translated words with values: every value escaped, text a person typed isolated.

A translated sentence is trusted (it comes from our catalogues); the values put into it are not. Text
is wrapped in ``<bdi>`` so a Persian title inside an English sentence (or the reverse) keeps its own
direction and does not reorder the words around it; numbers are written in the reader's digits.
"""

from __future__ import annotations

from markupsafe import Markup

from portal.numbers import format_number


def sentence_value(value: object) -> Markup:
    """``value`` ready for a sentence: a number in the reader's digits, text escaped inside ``<bdi>``."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Markup.escape(format_number(value, grouping=False))
    return Markup("<bdi>%s</bdi>") % str(value)


def sentence(translated: str, **values: object) -> Markup:
    """The translated ``translated`` with its ``%(name)s`` placeholders filled by the isolated ``values``.

    Pass the message through ``_()`` *without* values (``sentence(_("Ticket #%(id)s"), id=7)``), so
    the values are escaped here rather than pasted into the HTML by gettext.
    """
    return Markup(translated) % {name: sentence_value(value) for name, value in values.items()}  # noqa: S704
