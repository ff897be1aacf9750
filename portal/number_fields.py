"""A form field for a whole number, typed in any digits the portal writes.

A Persian keyboard types ۱۲ and an Arabic one ١٢; both mean 12, and a form must take them. The field
is a text input with a numeric keyboard (``inputmode="numeric"``), not ``type="number"``: browsers
empty a number input holding digits other than ASCII, so a customer's "۱۲" would vanish on the way.
The number is shown back in the reader's digits, so a Persian page never shows "12" in its form.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.widgets import TextInput

from portal.numbers import format_number, parse_integer

NOT_A_NUMBER = _l("Enter a whole number, in any digits: for example 12 or ۱۲.")


class NumericTextInput(TextInput):
    """A text input that asks phones for their number keyboard."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        """Render the input with ``inputmode="numeric"`` unless the template chose another."""
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(field, **kwargs)


class LocalizedIntegerField(IntegerField):
    """``IntegerField`` that reads Persian (۰–۹), Arabic-Indic (٠–٩) and ASCII digits alike.

    Use it for every whole number a form asks for (points, stock, hours, a scale's top); plugins get
    it from ``portal.plugin``. Group separators and a leading minus sign are read too ("۱٬۲۰۰", "−3").
    """

    widget = NumericTextInput()
    data: Any  # the number typed, or None: as WTForms' own IntegerField types it

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is not None:
            return format_number(self.data, grouping=False)
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read what was typed as a whole number; anything else is an error on the field."""
        if not valuelist:
            return
        number = parse_integer(str(valuelist[0]))
        if number is None:
            self.data = None
            raise ValueError(self.invalid_value_message or str(NOT_A_NUMBER))
        self.data = number
