"""File sizes in words a person reads at a glance: "0 bytes", "512 bytes", "1.5 KB", "12 MB".

One helper for every template and plugin, so an attachment, a document and an upload limit are all
written the same way, with the reader's digits and decimal sign (Persian: "۱٫۵ مگابایت"). Units step
by 1,024, as the upload limits are set ("10 MB" is 10 × 1,024 × 1,024 bytes), and the units go through
gettext so a translation can name them.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext, ngettext

from portal.numbers import format_number

STEP = 1024


UNITS = ("KB", "MB", "GB", "TB")


def format_file_size(size: int) -> str:
    """``size`` bytes, in the largest unit that keeps the number at least 1, with one decimal below 10.

    Whole bytes are counted ("1 byte", "0 bytes": an empty file says so); above them one decimal
    while the number is small enough for it to matter ("1.5 KB", "12 KB"), never a trailing ".0".
    """
    size = max(int(size), 0)
    if size < STEP:
        return ngettext("%(count)s byte", "%(count)s bytes", size, count=format_number(size))
    value, unit = size / STEP, 0
    while value >= STEP and unit < len(UNITS) - 1:
        value, unit = value / STEP, unit + 1
    if value < 10:
        return _in_unit(UNITS[unit], format_number(round(value, 1)))
    return _in_unit(UNITS[unit], format_number(round(value)))


def _in_unit(unit: str, number: str) -> str:
    """One message per unit, so a translation sees the whole phrase and may put the unit first."""
    if unit == "KB":
        return gettext("%(size)s KB", size=number)
    if unit == "MB":
        return gettext("%(size)s MB", size=number)
    if unit == "GB":
        return gettext("%(size)s GB", size=number)
    return gettext("%(size)s TB", size=number)


def install_file_size_filter(app: Flask) -> None:
    """``|filesizeformat`` in every template, a plugin's too, writes sizes through this module.

    It replaces Jinja's filter of that name, which knows neither the reader's language nor that a
    file of 0 bytes is empty ("0 Bytes"), and adds ``|file_size`` under the helper's own name.
    """
    app.jinja_env.filters.update(filesizeformat=format_file_size, file_size=format_file_size)
