"""The template filters that write dates: ``|datetimeformat``, ``|dateformat``, ``|timeformat``.

They replace Flask-Babel's filters of the same names, so every template, a plugin's too, writes
dates through ``portal.dates``: the reader's zone, language and calendar, one format per style.
In HTML the date comes inside ``<time datetime="...">`` with the machine-readable moment, for
browsers, screen readers and scripts; in plain text (``.txt`` mails) it is the words alone.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import gettext
from jinja2 import Undefined, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from portal.date_inputs import calendar_date_input
from portal.dates import (
    format_date,
    format_datetime,
    format_time,
    machine_format,
    reader_zone_label,
    zone_label,
)


def install_date_filters(app: Flask) -> None:
    """Put the portal's date filters over Flask-Babel's (call after ``babel.init_app``), and offer
    ``calendar_date_input(name, value)`` to forms built by hand (a filter of dates)."""
    app.jinja_env.filters.update(
        datetimeformat=datetime_filter,
        dateformat=date_filter,
        timeformat=time_filter,
        zonelabel=zone_label,
    )
    app.jinja_env.globals["calendar_date_input"] = calendar_date_input


@pass_eval_context
def datetime_filter(
    eval_ctx: EvalContext, value: datetime | None, style: str = "medium", zone: bool = False
) -> str:
    """``{{ ticket.created_at|datetimeformat("short") }}``; nothing for ``None`` or an undefined value.

    ``zone=True`` names the reader's zone after the time ("15:00 (Iran Time)"), where people in
    different zones read the same moment: messages between a customer and staff, appointments.
    """
    if value is None or isinstance(value, Undefined):
        return ""
    return _tagged(eval_ctx, value, _with_zone(format_datetime(value, style=style), zone))


@pass_eval_context
def date_filter(eval_ctx: EvalContext, value: date | datetime | None, style: str = "medium") -> str:
    """``{{ note.created_at|dateformat }}``, or ``"month"`` for "December 2026"; nothing for ``None``."""
    if value is None or isinstance(value, Undefined):
        return ""
    return _tagged(eval_ctx, value, format_date(value, style=style))


@pass_eval_context
def time_filter(
    eval_ctx: EvalContext, value: datetime | None, style: str = "short", zone: bool = False
) -> str:
    """``{{ slot.starts_at|timeformat }}``; nothing for ``None`` or an undefined value; ``zone=True``
    names the reader's zone after it, as for ``|datetimeformat``."""
    if value is None or isinstance(value, Undefined):
        return ""
    return _tagged(eval_ctx, value, _with_zone(format_time(value, style=style), zone))


def _with_zone(text: str, zone: bool) -> str:
    return gettext("%(moment)s (%(zone)s)", moment=text, zone=reader_zone_label()) if zone else text


def _tagged(eval_ctx: EvalContext, value: date | datetime, text: str) -> str:
    if not eval_ctx.autoescape:
        return text
    # Joined by hand: Markup.format runs string.Formatter on each of a list's dates, four times the cost
    # of this.
    html = f'<time datetime="{machine_format(value)}">{escape(text)}</time>'
    return Markup(html)  # noqa: S704  (ISO digits and punctuation, and the words escaped)
