"""A select widget for long lists of plain options: a team's agents, say.

WTForms writes each option through ``html_params`` (sorting and cleaning its attributes) and ``Markup``;
about 15 µs an option, so the staff queue's list of 200 agents cost 3 ms of a 17 ms page. An option
with nothing but a value, a label and maybe ``selected`` is written here directly, to the same HTML.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select


class LongSelect(Select):
    """``SelectField(..., widget=LongSelect())`` for a field whose choices may run to hundreds."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')  # noqa: S704  (escaped)
