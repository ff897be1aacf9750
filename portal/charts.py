"""Small charts drawn on the server as SVG, each with its numbers in a table beside it.

A chart is a picture of a short history (a figure's last 14 days, its last 8 weeks), so it must not
be the only way to read the numbers: the SVG is one image with an accessible name (``role="img"``),
and a ``<details>`` "Show the numbers" holds a table of every point, for screen readers, keyboard users
and anyone who wants the exact values. No script and no ``style`` attribute (the CSP forbids both):
shapes carry SVG attributes and CSS classes, and static/portal.css colours them.

Time runs in the reading direction: left to right in English, right to left in Persian, so the
newest point is where the eye ends a line. The table lists the points oldest first in either case.
Every text goes through ``markupsafe`` escaping; numbers and dates through the reader's formatting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup

from portal.dates import format_date
from portal.i18n import text_direction
from portal.numbers import format_number

WIDTH = 200
HEIGHT = 48
BAR_GAP = 0.2  # the share of each bar's slot left empty between bars

Point = tuple[date | str, float]


def area_chart(points: Sequence[Point], *, title: str, period_heading: str, style: str = "integer") -> Markup:
    """A line over a filled area: the shape of a history (tickets per day), newest in reading order."""
    xs = _positions(len(points), centred=False)
    ys = _heights(points)
    if len(points) == 1:
        xs = [0.0, float(WIDTH)]
        ys = ys * 2
    line = " ".join(f"{x:.1f},{HEIGHT - y:.1f}" for x, y in zip(xs, ys, strict=True))
    shapes = Markup(
        '<polygon class="chart-area-fill" points="{start:.1f},{h} {line} {end:.1f},{h}"/>'
        '<polyline class="chart-line" points="{line}" fill="none" vector-effect="non-scaling-stroke"/>'
    ).format(start=xs[0] if xs else 0, end=xs[-1] if xs else 0, h=HEIGHT, line=line)
    return _chart("area", shapes, _texts(points, style), title=title, period_heading=period_heading)


def bar_chart(points: Sequence[Point], *, title: str, period_heading: str, style: str = "integer") -> Markup:
    """One bar per period: amounts to compare side by side (points issued per week)."""
    slot = WIDTH / max(len(points), 1)
    texts = _texts(points, style)
    bars = Markup("").join(
        Markup(
            '<rect class="chart-bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}">'
            "<title>{label}: {value}</title></rect>"
        ).format(
            x=x - slot * (1 - BAR_GAP) / 2,
            y=HEIGHT - height,
            w=slot * (1 - BAR_GAP),
            h=height,
            label=label,
            value=value_text,
        )
        for x, (label, value_text), height in zip(
            _positions(len(points), centred=True),
            texts,
            _heights(points),
            strict=True,
        )
    )
    return _chart("bar", bars, texts, title=title, period_heading=period_heading)


def _texts(points: Sequence[Point], style: str) -> list[tuple[str, str]]:
    """Each point's period and value as the reader writes them, made once for the shapes and the table."""
    return [(_period_text(when), format_number(value, style)) for when, value in points]


def _chart(
    kind: str, shapes: Markup, texts: Sequence[tuple[str, str]], *, title: str, period_heading: str
) -> Markup:
    """The SVG, the first and last period under it, and the table of numbers."""
    svg = Markup(
        '<svg class="chart-svg" viewBox="0 0 {w} {h}" preserveAspectRatio="none" role="img" '
        'aria-label="{title}" focusable="false"><title>{title}</title>'
        '<line class="chart-baseline" x1="0" y1="{h}" x2="{w}" y2="{h}" vector-effect="non-scaling-stroke"/>'
        "{shapes}</svg>"
    ).format(w=WIDTH, h=HEIGHT, title=title, shapes=shapes)
    axis = Markup("")
    if texts:
        axis = Markup('<p class="chart-axis"><span>{first}</span> <span>{last}</span></p>').format(
            first=texts[0][0], last=texts[-1][0]
        )
    rows = Markup("").join(
        Markup('<tr><th scope="row">{period}</th><td>{value}</td></tr>').format(period=period, value=value)
        for period, value in texts
    )
    table = Markup(
        '<details class="chart-numbers"><summary>{summary}</summary><table class="chart-table">'
        '<caption>{title}</caption><thead><tr><th scope="col">{period}</th>'
        '<th scope="col">{number}</th></tr></thead><tbody>{rows}</tbody></table></details>'
    ).format(summary=_("Show the numbers"), title=title, period=period_heading, number=_("Number"), rows=rows)
    return Markup('<figure class="chart chart-{kind}">{svg}{axis}{table}</figure>').format(
        kind=kind, svg=svg, axis=axis, table=table
    )


def _positions(count: int, *, centred: bool) -> list[float]:
    """Where each point sits across the chart, oldest first in the reading direction."""
    if count == 0:
        return []
    if centred:
        xs = [WIDTH * (n + 0.5) / count for n in range(count)]
    else:
        xs = [WIDTH * n / (count - 1) if count > 1 else 0.0 for n in range(count)]
    if text_direction() == "rtl":
        return [WIDTH - x for x in xs]
    return xs


def _heights(points: Sequence[Point]) -> list[float]:
    """Each value's height, the largest value reaching the top; all zeros stay on the baseline."""
    top = max((value for _, value in points), default=0)
    if top <= 0:
        return [0.0] * len(points)
    return [max(value, 0) / top * (HEIGHT - 2) for _, value in points]


def _period_text(when: date | str) -> str:
    """A day as the reader writes it (their calendar and digits); a label as given."""
    if isinstance(when, date):
        return format_date(when, style="short")
    return str(when)
