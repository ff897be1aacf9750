"""Dates typed in the reader's calendar: Solar Hijri for a Persian reader, Gregorian otherwise.

Across the Persian new year (Nowruz), leap years of both calendars, and days no calendar has.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.validators import Optional

from portal import create_app
from portal.dates import force_calendar
from portal.plugin import (
    CalendarDateField,
    CalendarDateTimeField,
    DateInputError,
    date_input_text,
    parse_calendar_date,
)
from portal.testing.fixtures import base_config


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("date_inputs")
    app = create_app(base_config(folder / "instance", f"sqlite:///{folder / 'unused.sqlite3'}", []))
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("1403/12/30", date(2025, 3, 20)),  # 1403 is a leap year: Esfand has 30 days
        ("1404/01/01", date(2025, 3, 21)),  # Nowruz
        ("1404/12/29", date(2026, 3, 20)),
        ("1405/01/01", date(2026, 3, 21)),
        ("۱۴۰۵/۰۹/۱۴", date(2026, 12, 5)),  # Persian digits
        ("١٤٠٥-٩-١٤", date(2026, 12, 5)),  # Arabic digits, dashes, no leading zero
        (" 1405.9.14 ", date(2026, 12, 5)),
    ],
)
def test_solar_hijri_dates_are_read_in_every_digit_set(bare_app, typed, day):
    with bare_app.test_request_context():
        assert parse_calendar_date(typed, "persian") == day


@pytest.mark.parametrize("typed", ["1404/12/30", "1405/13/01", "1405/00/10", "1405/07/31"])
def test_days_the_solar_hijri_calendar_does_not_have_are_refused(bare_app, typed):
    with (
        bare_app.test_request_context(),
        pytest.raises(
            DateInputError, match=r"That day is not in the calendar\. Enter the date as year/month/day"
        ),
    ):
        parse_calendar_date(typed, "persian")


def test_gregorian_leap_days_are_checked(bare_app):
    with bare_app.test_request_context():
        assert parse_calendar_date("2024-02-29", "gregorian") == date(2024, 2, 29)
        with pytest.raises(DateInputError, match="That day is not in the calendar"):
            parse_calendar_date("2025-02-29", "gregorian")


@pytest.mark.parametrize("typed", ["tomorrow", "14/09/1405", "1405/09", "1" * 30, "1405/09/14/1"])
def test_what_is_no_date_gets_the_format_and_an_example_in_the_readers_calendar(bare_app, typed):
    with bare_app.test_request_context(), force_calendar("persian"), pytest.raises(DateInputError) as refused:
        parse_calendar_date(typed)
    assert str(refused.value).startswith("Enter the date as year/month/day, for example 14")
    gregorian = r"year-month-day, for example 20\d\d-\d\d-\d\d\."
    with bare_app.test_request_context(), pytest.raises(DateInputError, match=gregorian):
        parse_calendar_date(typed)


def test_a_date_is_shown_in_the_readers_calendar_and_digits(bare_app):
    with bare_app.test_request_context(), force_locale("fa"):
        assert date_input_text(date(2025, 3, 20), "persian") == "۱۴۰۳/۱۲/۳۰"
        assert date_input_text(date(2025, 3, 20), "gregorian") == "2025-03-20", "the date picker's value"
    with bare_app.test_request_context():
        assert date_input_text(date(2026, 3, 21), "persian") == "1405/01/01"


class ExpiryForm(FlaskForm):
    expires_on = CalendarDateField("Hide after", validators=[Optional()])


def test_the_field_is_a_date_picker_for_gregorian_readers_and_text_for_solar_hijri_ones(bare_app):
    with bare_app.test_request_context():
        form = ExpiryForm(data={"expires_on": date(2026, 12, 5)})
        assert 'type="date"' in form.expires_on() and 'value="2026-12-05"' in form.expires_on()
    with bare_app.test_request_context(), force_locale("fa"):
        form = ExpiryForm(data={"expires_on": date(2026, 12, 5)})
        html = form.expires_on()
        assert 'type="text"' in html and 'value="۱۴۰۵/۰۹/۱۴"' in html and "placeholder=" in html


def test_the_field_reads_the_readers_calendar_and_keeps_what_was_typed_when_refused(bare_app):
    with bare_app.test_request_context(method="POST"), force_locale("fa"):
        form = ExpiryForm(formdata=MultiDict({"expires_on": "۱۴۰۴/۰۱/۰۱"}))
        assert form.validate() and form.expires_on.data == date(2025, 3, 21)
        refused = ExpiryForm(formdata=MultiDict({"expires_on": "۱۴۰۴/۱۲/۳۰"}))
        assert not refused.validate()
        assert refused.expires_on.data is None
        assert 'value="۱۴۰۴/۱۲/۳۰"' in refused.expires_on(), "what was typed stays, to be corrected"
        assert "۱۴۰۴/۱۲/۳۰" not in refused.errors["expires_on"][0]
        empty = ExpiryForm(formdata=MultiDict({"expires_on": ""}))
        assert empty.validate() and empty.expires_on.data is None


class SlotForm(FlaskForm):
    starts_at = CalendarDateTimeField("Starts at", validators=[Optional()])


def test_a_date_and_time_is_read_in_the_readers_calendar_and_shown_again_when_refused(bare_app):
    with bare_app.test_request_context(method="POST"), force_locale("fa"):
        form = SlotForm(formdata=MultiDict({"starts_at": "۱۴۰۵/۰۱/۰۱ ۰۹:۳۰"}))
        assert form.validate() and form.starts_at.data == datetime(2026, 3, 21, 9, 30)
        assert (
            'value="۱۴۰۵/۰۱/۰۱ ۰۹:۳۰"'
            in SlotForm(data={"starts_at": datetime(2026, 3, 21, 9, 30)}).starts_at()
        )
        for typed in ("۱۴۰۴/۱۲/۳۰ ۰۹:۳۰", "1405/01/01 25:00", "1405/01/01"):
            refused = SlotForm(formdata=MultiDict({"starts_at": typed}))
            assert not refused.validate()
            assert refused.errors["starts_at"][0].startswith(
                "تاریخ و ساعت را به شکل سال/ماه/روز ساعت:دقیقه بنویسید"
            ), "the format is named in the reader's language"
            assert f'value="{typed}"' in refused.starts_at()
    with bare_app.test_request_context(method="POST"):
        form = SlotForm(formdata=MultiDict({"starts_at": "2024-02-29T23:59"}))
        assert form.validate() and form.starts_at.data == datetime(2024, 2, 29, 23, 59)
        assert 'type="datetime-local"' in form.starts_at()
        assert (
            'value="2024-02-29T23:59"'
            in SlotForm(data={"starts_at": datetime(2024, 2, 29, 23, 59)}).starts_at()
        )
