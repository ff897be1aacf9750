"""Dates and times as a reader reads them: in their zone, their language and their calendar.

The portal stores UTC (naive datetimes are UTC). Everything a person reads, on a page, in a mail or
in a PDF, goes through the functions here, so one style looks the same on every page and a Persian
reader sees the Solar Hijri calendar (۱۳ آذر ۱۴۰۵) in Persian digits, not Gregorian dates.

Babel formats every language with the patterns of CLDR, the Unicode locale data; Babel knows only
the Gregorian calendar, so for the languages in ``CALENDARS`` the year, month and day come from
``jdatetime`` (the Solar Hijri arithmetic) and everything else (patterns, weekday names, hours)
still from Babel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jdatetime
from babel import Locale, UnknownLocaleError
from babel.dates import (
    DateTimeFormat,
    DateTimePattern,
    get_timezone_gmt,
    get_timezone_location,
    match_skeleton,
    parse_pattern,
)
from flask import current_app, has_app_context, has_request_context
from flask_login import current_user

from portal.babel_state import current_locale

if TYPE_CHECKING:
    from portal.accounts.models import User

DATE_STYLES = ("short", "medium", "long", "month")
DATETIME_STYLES = ("short", "medium", "long")
TIME_STYLES = ("short", "medium", "long")
# The time part of each date-and-time style: seconds only where the exact moment matters (audit).
TIME_OF_DATETIME = {"short": "short", "medium": "short", "long": "medium"}
MONTH_SKELETON = "yMMMM"  # "December 2026", "آذر ۱۴۰۵": ledger months and other monthly totals
# Languages whose readers expect another calendar than the Gregorian.
CALENDARS = {"fa": "persian"}
# What a person may choose in their profile: "auto" is their language's usual calendar (CALENDARS).
CALENDAR_CHOICES = ("auto", "gregorian", "persian")
# Babel says which numbering system a language uses (CLDR's default_numbering_system) but formats
# dates with ASCII digits only; these are the digits of the systems our languages use.
DIGITS = {"arabext": "۰۱۲۳۴۵۶۷۸۹", "arab": "٠١٢٣٤٥٦٧٨٩"}
# ASCII digits to each system's, for ``str.translate``.
DIGIT_TABLES = {system: str.maketrans("0123456789", digits) for system, digits in DIGITS.items()}
FALLBACK_LANGUAGE = "en"
FALLBACK_ZONE = "UTC"
UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "GMT", "Etc/GMT", "UCT"})

_forced_zone: ContextVar[str | None] = ContextVar("portal_forced_zone", default=None)
_forced_calendar: ContextVar[str | None] = ContextVar("portal_forced_calendar", default=None)


# --- Who reads: their language and zone ----------------------------------------------------------


def _default_language() -> str:
    return current_app.config["PORTAL_DEFAULT_LANGUAGE"] if has_app_context() else FALLBACK_LANGUAGE


def _default_zone() -> str:
    return current_app.config["PORTAL_DEFAULT_TIMEZONE"] if has_app_context() else FALLBACK_ZONE


def _signed_in_user() -> User | None:
    """The signed-in person itself, not the proxy: every later attribute read skips the lookup."""
    if not has_request_context():
        return None
    user: User | None = current_user._get_current_object()
    return user if user is not None and user.is_authenticated else None


class _Reader(NamedTuple):
    """Everything a date is written with for one reader: their CLDR locale, calendar and zone."""

    locale: Locale
    calendar: str
    zone: tzinfo


def _reader(user: User | None = None) -> _Reader:
    """The locale, calendar and zone of ``user``, or of whoever is reading now (see ``reader_zone``).

    Found with one look at who is signed in and one at the page's language: a list page writes
    dozens of dates, and asking for the language, calendar and zone apart looked the signed-in person
    up three times for each.
    """
    language = reader_language(user)
    if user is None:
        user = _signed_in_user()
        zone_name = _forced_zone.get() or (user.timezone if user is not None else _default_zone())
        choice = _forced_calendar.get() or (user.calendar if user is not None else None)
    else:
        zone_name, choice = user.timezone, user.calendar
    locale = _locale(language)
    calendar = _calendar_of(choice, locale)
    return _Reader(locale, calendar, _zone(zone_name) or _zone(_default_zone()) or UTC)


def _calendar_of(choice: str | None, locale: Locale) -> str:
    if choice in ("gregorian", "persian"):
        return choice
    return CALENDARS.get(locale.language, "gregorian")


def reader_language(user: User | None = None) -> str:
    """The language dates are written in for ``user``, or for whoever is reading now.

    A user's language the portal does not offer reads as the default. Without a user: the language
    of the page or mail being rendered (the signed-in person's, a
    visitor's browser's, or a mail recipient's under ``force_locale``), else the site default.
    """
    if user is not None:
        if not has_app_context() or user.language in current_app.config["PORTAL_LANGUAGES"]:
            return user.language
        return _default_language()
    locale = current_locale()
    return str(locale) if locale is not None else _default_language()


def reader_zone(user: User | None = None) -> tzinfo:
    """The time zone ``user`` reads times in, or the reader's now; an unknown zone name reads as the default.

    Without a user: the zone a mail is being written in (``force_zone``), else the signed-in
    person's, else the site default.
    """
    return _reader(user).zone


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@contextmanager
def force_zone(name: str | None) -> Iterator[None]:
    """Write times in zone ``name`` inside the block: a mail is read in its recipient's zone.

    The partner of Flask-Babel's ``force_locale``; ``None`` leaves the zone as it is.
    """
    token = _forced_zone.set(name) if name else None
    try:
        yield
    finally:
        if token is not None:
            _forced_zone.reset(token)


def reader_calendar(user: User | None = None) -> str:
    """The calendar, "gregorian" or "persian", that ``user`` or whoever is reading now reads dates in.

    The person's own choice from their profile; "auto" (and a visitor) gets the usual calendar of
    the language being read, so a Persian page shows Solar Hijri dates unless its reader chose
    otherwise. Without a user: the calendar a mail is being written in (``force_calendar``), else
    the signed-in person's.
    """
    return _reader(user).calendar


@contextmanager
def force_calendar(choice: str | None) -> Iterator[None]:
    """Write dates in calendar ``choice`` (one of CALENDAR_CHOICES) inside the block: a mail is read
    in its recipient's calendar, not the sender's. ``None`` leaves the calendar as it is."""
    token = _forced_calendar.set(choice) if choice else None
    try:
        yield
    finally:
        if token is not None:
            _forced_calendar.reset(token)


def user_now(user: User | None) -> datetime:
    """The current moment, aware, in ``user``'s zone (``None``: the reader's now, as for formatting).

    "Today" for a customer in Tehran starts hours before it does in UTC; compare days with this.
    """
    return datetime.now(UTC).astimezone(reader_zone(user))


def to_user_zone(value: datetime, user: User | None) -> datetime:
    """``value`` as the same moment in ``user``'s zone (aware); a naive ``value`` is UTC."""
    return as_utc(value).astimezone(reader_zone(user))


def from_user_zone(local: datetime, user: User | None) -> datetime | None:
    """The naive UTC instant of the wall-clock time ``local`` as read on ``user``'s clock.

    What staff type in a date-and-time field means their own time: 10:00 typed in Tehran is 06:30
    UTC. ``None`` when that wall-clock time does not exist there (skipped when the clocks go forward),
    so a form can say so instead of silently storing an hour off.
    """
    zone = reader_zone(user)
    utc = local.replace(tzinfo=zone).astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc.replace(tzinfo=None)


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime; the portal stores naive UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def month_start(value: datetime, user: User | None = None) -> date:
    """The first day (a Gregorian ``date``) of the reader's calendar month holding the moment ``value``.

    For monthly totals: group by it, sort by it, and print it with ``format_date(..., style="month")``.
    A Persian reader's months are Solar Hijri (1 Azar is 22 November), so grouping by the Gregorian
    month would put one Persian month in two rows.
    """
    day = as_utc(value).astimezone(reader_zone(user)).date()
    if reader_calendar(user) == "persian":
        return jdatetime.date.fromgregorian(date=day).replace(day=1).togregorian()
    return day.replace(day=1)


def machine_format(value: date | datetime) -> str:
    """The ISO 8601 text for ``<time datetime=...>``, CSV and JSON: UTC with a Z, or a plain date."""
    if isinstance(value, datetime):
        return as_utc(value).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return value.isoformat()


# --- Formatting ----------------------------------------------------------------------------------


def format_datetime(value: datetime, *, user: User | None = None, style: str = "medium") -> str:
    """The moment ``value`` as ``user`` reads it: their zone, language and calendar, in one style.

    ``style`` is "short" (12/4/26, 3:00 PM), "medium" (Dec 4, 2026, 3:00 PM) or "long" (December
    4, 2026, 3:00:00 PM, to the second). ``user=None`` means whoever is reading now.
    """
    _check_style(style, DATETIME_STYLES)
    locale, calendar, zone = _reader(user)
    return _written_moment(as_utc(value), locale, calendar, zone, style)


def format_date(value: date | datetime, *, user: User | None = None, style: str = "medium") -> str:
    """The day of ``value`` as ``user`` reads it (a datetime is first moved into their zone).

    ``style`` is "short" (12/4/26), "medium" (Dec 4, 2026), "long" (December 4, 2026) or "month"
    (December 2026). ``user=None`` means whoever is reading now.
    """
    _check_style(style, DATE_STYLES)
    locale, calendar, zone = _reader(user)
    day = as_utc(value).astimezone(zone).date() if isinstance(value, datetime) else value
    return _written_day(day, locale, calendar, style)


def format_time(value: datetime, *, user: User | None = None, style: str = "short") -> str:
    """The time of day of ``value`` in ``user``'s zone: "short" (3:00 PM), "medium" (with seconds)
    or "long" (with the zone's offset)."""
    _check_style(style, TIME_STYLES)
    locale, _calendar, zone = _reader(user)
    moment = as_utc(value).astimezone(zone)
    return _digits(_apply(locale.time_formats[style].pattern, moment, locale, "gregorian"), locale)


def reader_zone_label(user: User | None = None) -> str:
    """The readable name of the zone ``user`` (or the reader now) reads times in: "Iran Time"."""
    zone = reader_zone(user)
    return zone_label(zone.key if isinstance(zone, ZoneInfo) else FALLBACK_ZONE)


def zone_label(name: str, locale: str | Locale | None = None) -> str:
    """A readable name for the zone ``name`` ("Iran Time" for Asia/Tehran), in ``locale``'s language.

    ``locale`` defaults to the reader's language. An unknown name comes back as it is, so a
    stored zone the database no longer knows is still shown rather than an error.
    """
    locale = _locale(str(locale) if locale is not None else reader_language())
    zone = _zone(name)
    if zone is None:
        return name
    if name in UTC_ZONES:
        return str(locale.time_zones.get("Etc/UTC", {}).get("long", {}).get("standard") or "UTC")
    if name.startswith("Etc/"):
        return _digits(get_timezone_gmt(datetime.now(zone), "long", locale=locale), locale)
    return get_timezone_location(zone, locale=locale)


def _check_style(style: str, allowed: tuple[str, ...]) -> None:
    if style not in allowed:
        raise ValueError(f"Unknown date style {style!r}; use one of {', '.join(allowed)}.")


# Locales, parsed patterns and month patterns are CLDR data, the same for the life of the process:
# kept once each rather than made again for every date on a page (a queue formats dozens).
@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK_LANGUAGE)


@lru_cache(maxsize=256)
def _parsed_pattern(pattern: str) -> DateTimePattern:
    return parse_pattern(pattern)


@lru_cache(maxsize=64)
def _month_pattern(locale: Locale) -> str:
    return str(locale.datetime_skeletons[match_skeleton(MONTH_SKELETON, locale.datetime_skeletons)])


@lru_cache(maxsize=64)
def _datetime_patterns(locale: Locale, style: str) -> tuple[DateTimePattern, DateTimePattern, str]:
    """The parsed day and clock patterns of a date-and-time style, and the text that joins them."""
    day = _parsed_pattern(locale.date_formats[style].pattern)
    clock = _parsed_pattern(locale.time_formats[TIME_OF_DATETIME[style]].pattern)
    return day, clock, str(locale.datetime_formats[style]).replace("'", "")


# A moment's text depends on nothing but these arguments, and the same moments are written again on
# every view of a page (a ticket's dates, the queue's rows, read by each agent in turn): Babel's
# field-by-field formatting takes about 15 µs a moment, finding the text kept from an earlier view 2.
@lru_cache(maxsize=8192)
def _written_moment(moment: datetime, locale: Locale, calendar: str, zone: tzinfo, style: str) -> str:
    fields = _fields(moment.astimezone(zone), locale, calendar)
    day_pattern, clock_pattern, glue = _datetime_patterns(locale, style)
    day, clock = day_pattern % fields, clock_pattern % fields
    return _digits(glue.replace("{0}", clock).replace("{1}", day), locale)


@lru_cache(maxsize=4096)
def _written_day(day: date, locale: Locale, calendar: str, style: str) -> str:
    if style == "month":
        return _digits(_apply(_month_pattern(locale), day, locale, calendar), locale)
    return _digits(_apply(locale.date_formats[style].pattern, day, locale, calendar), locale)


def _fields(value: date | datetime, locale: Locale, calendar: str) -> DateTimeFormat:
    return SolarHijriFields(value, locale) if calendar == "persian" else DateTimeFormat(value, locale)


def _apply(pattern: str, value: date | datetime, locale: Locale, calendar: str) -> str:
    return _parsed_pattern(pattern) % _fields(value, locale, calendar)


def locale_digits(text: str, language: str | None = None) -> str:
    """``text`` with its ASCII digits in the digits of ``language`` (the reader's by default):
    Persian digits for a Persian reader, unchanged for English."""
    return _digits(text, _locale(language or reader_language()))


def _digits(text: str, locale: Locale) -> str:
    table = DIGIT_TABLES.get(locale.default_numbering_system)
    return text.translate(table) if table else text


class SolarHijriFields(DateTimeFormat):
    """Babel's pattern fields with the year, month and day of the Solar Hijri calendar.

    Only the day's position in the calendar changes; weekdays, hours and zones are the same in
    both calendars, so Babel's own code writes them.
    """

    def __init__(self, value: date | datetime, locale: Locale) -> None:
        super().__init__(value, locale)
        day = value.date() if isinstance(value, datetime) else value
        self.solar = jdatetime.date.fromgregorian(date=day)

    def __getitem__(self, name: str) -> str:
        if name[0] == "d":
            return self.format(self.solar.day, len(name))
        return super().__getitem__(name)

    def format_year(self, char: str, num: int) -> str:
        year = str(self.solar.year)
        return year[-2:] if num == 2 else year.rjust(num, "0")

    def format_month(self, char: str, num: int) -> str:
        if num <= 2:
            return self.format(self.solar.month, num)
        names = jdatetime.date.j_months_fa if self.locale.language == "fa" else jdatetime.date.j_months_en
        return names[self.solar.month - 1]
