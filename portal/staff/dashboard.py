"""The staff console's front page: every enabled plugin's figures as cards, most important first.

Plugins return ``Figure`` data (``portal_staff_figures``); here each becomes a card the template can
print as it is: the value and the previous period's in the reader's digits, and the chart drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from portal.accounts.models import User
from portal.charts import area_chart, bar_chart
from portal.contributions import Figure
from portal.numbers import format_number
from portal.plugin_manager import PluginError, plugin_host


@dataclass(frozen=True)
class FigureCard:
    """A figure ready to print: ``value`` and ``previous`` formatted, ``chart`` drawn (or empty)."""

    name: str
    label: Any
    href: str
    value: str
    previous: str | None
    chart: Markup


def staff_figure_cards(user: User) -> list[FigureCard]:
    """The enabled plugins' figures for ``user`` (an agent or administrator), in order, as cards."""
    figures: list[Figure] = []
    for plugin_name, answer in plugin_host().call_each("portal_staff_figures", user=user):
        for figure in answer:
            if not isinstance(figure, Figure):
                raise PluginError(
                    f"Plugin {plugin_name!r} returned {figure!r} from portal_staff_figures; "
                    "return a list of portal.plugin.Figure."
                )
            figures.append(figure)
    figures.sort(key=lambda figure: (figure.order, str(figure.label)))
    return [_card(figure) for figure in figures]


def _card(figure: Figure) -> FigureCard:
    return FigureCard(
        name=figure.name,
        label=figure.label,
        href=figure.href,
        value=_value_text(figure, figure.value),
        previous=_value_text(figure, figure.previous) if figure.previous is not None else None,
        chart=_chart(figure),
    )


def _value_text(figure: Figure, value: float | None) -> str:
    """The number in the reader's digits, inside the figure's unit; words when it is not known yet."""
    if value is None:
        return _("Not known yet")
    number = format_number(value, figure.format)
    return str(figure.unit) % {"value": number} if figure.unit is not None else number


def _chart(figure: Figure) -> Markup:
    if not figure.series:
        return Markup("")
    draw = bar_chart if figure.chart == "bar" else area_chart
    title = str(figure.series_label) if figure.series_label is not None else str(figure.label)
    heading = _period_heading(figure)
    return draw(list(figure.series), title=title, period_heading=heading, style=figure.format)


def _period_heading(figure: Figure) -> str:
    """The table's first column: days, weeks (keyed by their first day) or the plugin's own labels."""
    whens = [when for when, _value in figure.series]
    if len(whens) > 1 and all(isinstance(when, date) for when in whens):
        step = (whens[1] - whens[0]).days  # type: ignore[operator]
        if step == 1:
            return _("Day")
        if step == 7:
            return _("Week starting")
    return _("Period")
