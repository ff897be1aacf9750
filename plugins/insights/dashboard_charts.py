"""Bar charts of several series for the dashboard, as shapes a template draws in SVG.

The core's charts (portal/charts.py) draw one series and are not part of the plugin contract, so
the dashboard draws its own the same way: one image with an accessible name, the numbers in a table
beside it, CSS classes and SVG attributes only (the CSP forbids ``style`` and scripts), and time
running in the reading direction (the newest period where a right-to-left reader's eye ends too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale

WIDTH = 240
HEIGHT = 60
GAP = 0.2  # the share of each period's slot left empty between periods


@dataclass(frozen=True)
class Bar:
    """One rectangle: where it is, its series (for the CSS colour) and what it says on hover."""

    x: float
    y: float
    width: float
    height: float
    series: int
    value: float


def bars(series: Sequence[Sequence[float]], *, stacked: bool) -> list[Bar]:
    """The rectangles of ``series`` (each one value per period, oldest first), stacked or side by side."""
    periods = max((len(values) for values in series), default=0)
    if periods == 0:
        return []
    if stacked:
        top = max(sum(max(values[n], 0) for values in series) for n in range(periods))
    else:
        top = max((max(value, 0) for values in series for value in values), default=0)
    scale = (HEIGHT - 2) / top if top > 0 else 0.0
    slot = WIDTH / periods
    inner = slot * (1 - GAP)
    width = inner if stacked else inner / len(series)
    rtl = get_locale() is not None and get_locale().text_direction == "rtl"
    shapes = []
    for n in range(periods):
        start = slot * n + slot * GAP / 2
        base = 0.0
        for index, values in enumerate(series):
            height = max(values[n], 0) * scale
            x = start if stacked else start + width * index
            if rtl:
                x = WIDTH - x - width
            shapes.append(Bar(x, HEIGHT - base - height, width, height, index, values[n]))
            if stacked:
                base += height
    return shapes


@dataclass(frozen=True)
class Chart:
    """A chart ready for the template: its name, shapes, series names, and the table's rows."""

    title: str
    shapes: list[Bar]
    series: list[Any]
    rows: list[tuple[str, list[float]]]
    stacked: bool


def chart(title: str, series: dict[Any, Sequence[float]], labels: Sequence[str], *, stacked: bool) -> Chart:
    """A chart of ``series`` (name: one value per period) over the periods named by ``labels``."""
    values = list(series.values())
    rows = [(label, [column[index] for column in values]) for index, label in enumerate(labels)]
    return Chart(title, bars(values, stacked=stacked), list(series), rows, stacked)
