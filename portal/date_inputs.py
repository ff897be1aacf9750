"""Date inputs in the reader's calendar: ``CalendarDateField`` and ``CalendarDateTimeField`` for forms,
``parse_calendar_date`` for anything else that reads a typed date.

A reader of the Gregorian calendar gets the browser's date picker (``type="date"``, which sends
2026-12-05 whatever it shows). A reader of the Solar Hijri calendar gets a text input that shows and
accepts year/month/day in that calendar ("۱۴۰۵/۰۹/۱۴" or "1405-09-14"; Persian, Arabic and Latin
digits alike), since browsers have no Solar Hijri picker. Either way the form gets a Gregorian
``date``, and a refused date comes back as typed with a message naming the format and an example.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

import jdatetime
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import Field
from wtforms.widgets import html_params

from portal.dates import locale_digits, reader_calendar, user_now

# Longest text a date input takes: "۱۴۰۵ / ۰۹ / ۱۴" with room for spaces; anything longer is no date.
DATE_TEXT_MAX = 20
# Persian (extended Arabic-Indic) and Arabic-Indic digits, read as the digits they are.
TO_LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
TYPED_DATE = re.compile(r"([0-9]{4})\s*[-/.]\s*([0-9]{1,2})\s*[-/.]\s*([0-9]{1,2})")
# The day, then the time of day: "1405/09/14 09:30", or the picker's "2026-12-05T09:30".
TYPED_DATETIME = re.compile(r"(.+?)(?:\s+|T)([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
DATETIME_TEXT_MAX = 30


class DateInputError(ValueError):
    """A typed date that is not one; the message tells the person the format, with an example."""


def parse_calendar_date(text: str, calendar: str | None = None) -> date:
    """The Gregorian ``date`` that ``text``, typed in ``calendar`` (the reader's by default), names.

    Year, month and day in that order, separated by "/", "-" or "."; any of the three digit sets.
    Raises ``DateInputError`` with a message for the person for anything else, including a day the
    calendar does not have (30 Esfand in a common year, 29 February 2025).
    """
    calendar = calendar or reader_calendar()
    match = (
        TYPED_DATE.fullmatch(text.translate(TO_LATIN_DIGITS).strip()) if len(text) <= DATE_TEXT_MAX else None
    )
    if match is None:
        raise DateInputError(_format_message(calendar))
    year, month, day = (int(part) for part in match.groups())
    try:
        if calendar == "persian":
            return jdatetime.date(year, month, day).togregorian()
        return date(year, month, day)
    except (ValueError, OverflowError):
        raise DateInputError(
            _("That day is not in the calendar. %(format)s", format=_format_message(calendar))
        ) from None


def parse_calendar_datetime(text: str, calendar: str | None = None) -> datetime:
    """The wall-clock time (naive, in the reader's zone) that ``text`` names: a day as
    ``parse_calendar_date`` reads it, a space, and hour:minute. Raises ``DateInputError``."""
    calendar = calendar or reader_calendar()
    typed = text.translate(TO_LATIN_DIGITS).strip()
    match = TYPED_DATETIME.fullmatch(typed) if len(text) <= DATETIME_TEXT_MAX else None
    if match is None:
        raise DateInputError(_datetime_format_message(calendar))
    hour, minute, second = int(match[2]), int(match[3]), int(match[4] or 0)
    try:
        day = parse_calendar_date(match[1], calendar)
        return datetime.combine(day, time(hour, minute, second))
    except (DateInputError, ValueError):
        raise DateInputError(_datetime_format_message(calendar)) from None


def datetime_input_text(value: datetime, calendar: str | None = None) -> str:
    """``value`` (wall clock) as a date-and-time input shows it: 2026-12-05T09:30 for the browser's
    picker, ۱۴۰۵/۰۹/۱۴ ۰۹:۳۰ for Solar Hijri."""
    calendar = calendar or reader_calendar()
    if calendar == "persian":
        return date_input_text(value.date(), calendar) + " " + locale_digits(f"{value:%H:%M}")
    return f"{value:%Y-%m-%dT%H:%M}"


def date_input_text(value: date, calendar: str | None = None) -> str:
    """``value`` as a date input shows it: 2026-12-05 for the Gregorian picker, ۱۴۰۵/۰۹/۱۴ for Solar Hijri."""
    if (calendar or reader_calendar()) == "persian":
        solar = jdatetime.date.fromgregorian(date=value)
        return locale_digits(f"{solar.year:04d}/{solar.month:02d}/{solar.day:02d}")
    return value.isoformat()


def calendar_date_input(name: str, value: str = "", *, with_time: bool = False, **attributes: Any) -> Markup:
    """The ``<input>`` for a date (``with_time``: a date and time) in the reader's calendar, for a
    form built by hand (a filter).

    ``value`` is the text to show: what was typed, or ``date_input_text`` of a date. Further
    ``attributes`` (``id``, ``aria_describedby``…) go on the element as WTForms writes them.
    """
    if reader_calendar() == "persian":
        now = user_now(None).replace(tzinfo=None, second=0, microsecond=0)
        attributes = {
            "type": "text",
            "placeholder": datetime_input_text(now) if with_time else date_input_text(now.date()),
            "maxlength": DATETIME_TEXT_MAX if with_time else DATE_TEXT_MAX,
            "autocomplete": "off",
            **attributes,
        }
    else:
        attributes = {"type": "datetime-local" if with_time else "date", **attributes}
    return Markup(f"<input {html_params(name=name, value=value, **attributes)}>")  # noqa: S704  (escaped by html_params)


def _datetime_format_message(calendar: str) -> str:
    example = datetime_input_text(user_now(None).replace(tzinfo=None, hour=9, minute=30), calendar)
    if calendar == "persian":
        return _(
            "Enter the date and time as year/month/day hour:minute, for example %(example)s.", example=example
        )
    return _(
        "Enter the date and time as year-month-day hour:minute, for example %(example)s.", example=example
    )


def _format_message(calendar: str) -> str:
    example = date_input_text(user_now(None).date(), calendar)
    if calendar == "persian":
        return _("Enter the date as year/month/day, for example %(example)s.", example=example)
    return _("Enter the date as year-month-day, for example %(example)s.", example=example)


class CalendarDateInput:
    """The widget of ``CalendarDateField`` (or of a text field holding a typed filter day): the
    browser's date picker or a Solar Hijri text input."""

    def __call__(self, field: Field, **attributes: Any) -> Markup:
        attributes.setdefault("id", field.id)
        if field.flags.required:
            attributes.setdefault("required", True)
        with_time = isinstance(field, CalendarDateTimeField)
        return calendar_date_input(field.name, field._value(), with_time=with_time, **attributes)


class CalendarDateField(Field):
    """A date typed in the reader's calendar; ``data`` is a Gregorian ``date`` or ``None`` when empty.

    Use it for every date a person enters, with ``Optional()`` or ``InputRequired()`` as usual. A
    refused date is shown again exactly as typed, with a message naming the expected format and an
    example in the reader's calendar.
    """

    widget = CalendarDateInput()
    data: date | None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.written(self.data) if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]) if valuelist else ""
        if not text.strip():
            self.data = None
            return
        try:
            self.data = self.read(text)
        except DateInputError as error:
            self.data = None
            raise ValueError(str(error)) from None

    @staticmethod
    def written(value: date) -> str:
        """``value`` as the input shows it to the reader."""
        return date_input_text(value)

    @staticmethod
    def read(text: str) -> date:
        """What the reader typed, as a date; raises ``DateInputError`` with the message to show."""
        return parse_calendar_date(text)


class CalendarDateTimeField(CalendarDateField):
    """A date and time typed in the reader's calendar; ``data`` is the naive wall-clock ``datetime``
    as typed (convert it from the person's zone to UTC with ``from_user_zone`` before storing it), or
    ``None`` when empty.

    Gregorian readers get the browser's ``datetime-local`` picker; Solar Hijri readers a text input
    ("۱۴۰۵/۰۹/۱۴ ۰۹:۳۰"). A refused value is shown again as typed, with the format and an example.
    """

    data: datetime | None

    @staticmethod
    def written(value: date) -> str:
        """``value`` (a datetime) as the input shows it to the reader."""
        return datetime_input_text(value) if isinstance(value, datetime) else date_input_text(value)

    @staticmethod
    def read(text: str) -> datetime:
        """What the reader typed, as a wall-clock datetime; raises ``DateInputError`` to show."""
        return parse_calendar_datetime(text)
