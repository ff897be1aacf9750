"""Lazy translations are text: shown in a page, they are escaped like any other string.

Flask-Babel gives its lazy strings an ``__html__`` that returns them unchanged (flask-babel issues
#121 and #224), and Jinja, MarkupSafe and WTForms take anything with ``__html__`` for markup that
is already safe. A lazy translation filled with a value a person typed (``_l("Organization:
%(name)s", name=…)``) would then put that value into the page as HTML. The portal's catalogues hold
no markup in lazy messages, so they lose nothing by being escaped; plugins get the same safety
without having to know about it. Flask's JSON reads ``__html__`` too, so the app's JSON provider
writes a lazy translation as its plain text.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider
from flask_babel import LazyString
from markupsafe import Markup, escape


def _as_escaped_text(self: LazyString) -> Markup:
    """The translation in the reader's language, escaped: it is text, whatever it was filled with."""
    return escape(str(self))


def escape_lazy_translations() -> None:
    """Make every lazy translation escape when it meets HTML; idempotent, for the whole process."""
    LazyString.__html__ = _as_escaped_text


class LazyTextJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a lazy translation written as the text it is rather than through ``__html__``."""

    @staticmethod
    def default(o: Any) -> Any:
        """A lazy translation as its text; anything else as Flask writes it."""
        if isinstance(o, LazyString):
            return str(o)
        return DefaultJSONProvider.default(o)
