"""Dates as a person reads them: their zone, their language, their calendar, one format per style.

The portal stores naive UTC. A Persian reader in Tehran must see the Solar Hijri calendar in Persian
digits, on the right side of midnight; an English reader the Gregorian one, in their own zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import jdatetime
import pytest
from flask import Flask, render_template_string

from portal import create_app
from portal.accounts.models import User
from portal.database import db
from portal.notifications.models import Notification
from portal.plugin import (
    customer_fields,
    format_date,
    format_datetime,
    format_time,
    month_start,
    notify,
    to_user_zone,
    user_now,
    zone_label,
)
from portal.testing.fixtures import base_config

# 11:30 UTC on Friday 4 December 2026 is 15:00 in Tehran (UTC+03:30 all year), 13 Azar 1405.
MOMENT = datetime(2026, 12, 4, 11, 30)
NNBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM
RLM = "\u200f"  # and a right-to-left mark after the Persian comma


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """An app for formatting alone: no table is read, so its database is never migrated."""
    folder = tmp_path_factory.mktemp("dates")
    return create_app(base_config(folder / "instance", f"sqlite:///{folder / 'unused.sqlite3'}", []))


@pytest.fixture
def context(bare_app: Flask):
    with bare_app.app_context():
        yield


def reader(language: str = "en", timezone: str = "UTC") -> User:
    """An account as formatting sees it: its language and zone (never saved)."""
    return User(name="Reader", email="reader@example.com", language=language, timezone=timezone)


PERSIAN = reader("fa", "Asia/Tehran")


def test_a_persian_reader_sees_the_solar_hijri_calendar_in_persian_digits(context):
    assert format_date(MOMENT, user=PERSIAN) == "۱۳ آذر ۱۴۰۵"
    assert format_date(MOMENT, user=PERSIAN, style="short") == "۱۴۰۵/۹/۱۳"
    assert format_date(MOMENT, user=PERSIAN, style="long") == "۱۳ آذر ۱۴۰۵"
    assert format_date(MOMENT, user=PERSIAN, style="month") == "آذر ۱۴۰۵"
    assert format_datetime(MOMENT, user=PERSIAN) == f"۱۳ آذر ۱۴۰۵،{RLM} ۱۵:۰۰", "15:00 in Tehran"
    assert format_datetime(MOMENT, user=PERSIAN, style="long") == "۱۳ آذر ۱۴۰۵، ساعت ۱۵:۰۰:۰۰"
    assert format_time(MOMENT, user=PERSIAN) == "۱۵:۰۰"
    assert not re.search(r"[0-9]", format_datetime(MOMENT, user=PERSIAN, style="short")), "no Latin digits"


def test_the_persian_new_year_starts_at_midnight_in_tehran_not_in_utc(context):
    # 20 March 2026, 20:30 UTC is midnight in Tehran: 1 Farvardin 1405 has begun there.
    assert format_date(datetime(2026, 3, 20, 20, 29), user=PERSIAN) == "۲۹ اسفند ۱۴۰۴"
    assert format_date(datetime(2026, 3, 20, 20, 30), user=PERSIAN) == "۱ فروردین ۱۴۰۵"
    assert format_date(datetime(2026, 3, 20, 20, 30), user=reader("en", "UTC")) == "Mar 20, 2026"


def test_a_solar_hijri_leap_year_has_thirty_days_in_esfand(context):
    assert format_date(date(2025, 3, 20), user=PERSIAN) == "۳۰ اسفند ۱۴۰۳"
    assert format_date(date(2025, 3, 21), user=PERSIAN) == "۱ فروردین ۱۴۰۴"
    assert format_date(date(2026, 3, 20), user=PERSIAN) == "۲۹ اسفند ۱۴۰۴", "1404 is no leap year"


def test_an_english_reader_sees_one_gregorian_format_per_style_in_their_zone(context):
    berlin = reader("en", "Europe/Berlin")  # 12:30 there in December
    assert format_datetime(MOMENT, user=berlin, style="short") == f"12/4/26, 12:30{NNBSP}PM"
    assert format_datetime(MOMENT, user=berlin) == f"Dec 4, 2026, 12:30{NNBSP}PM"
    assert format_datetime(MOMENT, user=berlin, style="long") == f"December 4, 2026, 12:30:00{NNBSP}PM"
    assert format_date(MOMENT, user=berlin) == "Dec 4, 2026"
    assert format_date(MOMENT, user=berlin, style="month") == "December 2026"
    assert format_time(MOMENT, user=berlin) == f"12:30{NNBSP}PM"


def test_a_day_is_the_readers_day(context):
    late = datetime(2026, 12, 4, 22, 0)  # 22:00 UTC: already the 5th in Tehran, still the 4th in New York
    assert format_date(late, user=reader("en", "Asia/Tehran")) == "Dec 5, 2026"
    assert format_date(late, user=reader("en", "America/New_York")) == "Dec 4, 2026"
    assert format_date(date(2026, 12, 4), user=reader("en", "Asia/Tehran")) == "Dec 4, 2026", (
        "a date has no zone"
    )


def test_readers_taking_turns_on_the_same_moments_each_read_their_own(context):
    """The texts are kept between views; one reader's must never be handed to the next."""
    readers = {
        "berlin": (reader("en", "Europe/Berlin"), f"Dec 4, 2026, 12:30{NNBSP}PM", "Dec 4, 2026"),
        "tehran": (PERSIAN, f"۱۳ آذر ۱۴۰۵،{RLM} ۱۵:۰۰", "۱۳ آذر ۱۴۰۵"),
        "gregorian in Persian": (chose("gregorian", "fa", "Asia/Tehran"), None, "۴ دسامبر ۲۰۲۶"),
        "solar in English": (chose("persian"), None, "Azar 13, 1405"),
        "utc": (reader("en"), f"Dec 4, 2026, 11:30{NNBSP}AM", "Dec 4, 2026"),
    }
    for _view in range(3):
        for name, (person, moment_text, day_text) in readers.items():
            if moment_text is not None:
                assert format_datetime(MOMENT, user=person) == moment_text, name
            assert format_date(MOMENT, user=person) == day_text, name
    late = datetime(2026, 12, 4, 22, 0)
    assert format_date(late, user=reader("en", "Asia/Tehran")) == "Dec 5, 2026"
    assert format_date(late, user=reader("en", "America/New_York")) == "Dec 4, 2026", (
        "the day, not the moment"
    )


def test_naive_and_aware_moments_mean_the_same_instant(context):
    aware = MOMENT.replace(tzinfo=UTC).astimezone(to_user_zone(MOMENT, PERSIAN).tzinfo)
    assert format_datetime(aware, user=PERSIAN) == format_datetime(MOMENT, user=PERSIAN)


def test_without_a_user_outside_a_request_the_site_default_is_used(context):
    assert format_datetime(MOMENT) == f"Dec 4, 2026, 11:30{NNBSP}AM", "English, UTC"


def test_a_language_the_portal_does_not_offer_or_an_unknown_zone_falls_back(context):
    odd = reader("de", "Mars/Olympus_Mons")
    assert format_datetime(MOMENT, user=odd) == f"Dec 4, 2026, 11:30{NNBSP}AM"


def test_an_unknown_style_is_refused_with_the_styles_there_are(context):
    with pytest.raises(ValueError, match="use one of short, medium, long"):
        format_datetime(MOMENT, style="yyyy-MM-dd")


def test_user_now_and_to_user_zone_are_aware_and_in_the_readers_zone(context):
    now = user_now(PERSIAN)
    assert now.utcoffset() == timedelta(hours=3, minutes=30)
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)
    moved = to_user_zone(MOMENT, PERSIAN)
    assert (moved.hour, moved.minute, moved.utcoffset()) == (15, 0, timedelta(hours=3, minutes=30))


def test_zone_labels_are_words_in_the_readers_language(context):
    assert zone_label("Asia/Tehran", "en") == "Iran Time"
    assert zone_label("Asia/Tehran", "fa") == "وقت ایران"
    assert zone_label("UTC", "en") == "Coordinated Universal Time"
    assert zone_label("Etc/GMT+3", "en") == "GMT-03:00", "Etc/GMT+3 is three hours behind"
    assert zone_label("Nowhere/Land", "en") == "Nowhere/Land", "an unknown name is shown, not an error"


def test_html_gets_a_time_element_and_plain_text_only_the_words(bare_app):
    source = '{{ when|datetimeformat("short") }}|{{ day|dateformat("month") }}|{{ nothing|dateformat }}'
    with bare_app.test_request_context():
        html = render_template_string(source, when=MOMENT, day=date(2026, 12, 1), nothing=None)
        text = render_template_string(
            "{% autoescape false %}" + source + "{% endautoescape %}", when=MOMENT, day=date(2026, 12, 1)
        )
    assert html == (
        f'<time datetime="2026-12-04T11:30:00Z">12/4/26, 11:30{NNBSP}AM</time>|'
        '<time datetime="2026-12-01">December 2026</time>|'
    )
    assert text == f"12/4/26, 11:30{NNBSP}AM|December 2026|", "a .txt mail gets the words alone"


def test_pages_show_the_signed_in_persons_calendar(app, client, login_as):
    person = login_as("customer", language="fa", timezone="Asia/Tehran")
    with app.app_context():
        notify(db.session.get(User, person.id), "core.account", "Your address changed")
        db.session.query(Notification).update({"created_at": MOMENT})
        db.session.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert f'<time datetime="2026-12-04T11:30:00Z">۱۳ آذر ۱۴۰۵،{RLM} ۱۵:۰۰</time>' in page


def test_outside_a_request_a_mail_recipients_language_and_zone_decide(bare_app):
    """What ``send_mail`` sets while it renders a mail for its recipient, from a job or a tick."""
    from flask_babel import force_locale

    from portal.dates import force_zone

    with bare_app.app_context(), force_locale("fa"), force_zone("Asia/Tehran"):
        assert format_datetime(MOMENT) == f"۱۳ آذر ۱۴۰۵،{RLM} ۱۵:۰۰"
    with bare_app.app_context():
        assert format_datetime(MOMENT) == f"Dec 4, 2026, 11:30{NNBSP}AM", "and nothing leaks afterwards"


def test_month_start_is_the_first_day_of_the_readers_calendar_month(context):
    assert month_start(MOMENT, user=PERSIAN) == date(2026, 11, 22), "1 Azar 1405"
    assert format_date(month_start(MOMENT, user=PERSIAN), user=PERSIAN, style="month") == "آذر ۱۴۰۵"
    assert month_start(MOMENT, user=reader("en", "UTC")) == date(2026, 12, 1)
    assert month_start(datetime(2026, 11, 30, 23, 0), user=reader("en", "Asia/Tehran")) == date(2026, 12, 1)


@pytest.mark.plugins("loyalty")
@pytest.mark.parametrize(
    ("language", "rows"),
    [("fa", 1), ("en", 2)],
    ids=["one-solar-month", "two-gregorian-months"],
)
def test_the_loyalty_chart_totals_the_readers_months(app, client, login_as, language, rows):
    from plugins.loyalty import ledger
    from plugins.loyalty.models import Entry

    person = login_as("customer", language=language, timezone="Asia/Tehran")
    # Two days of one Solar Hijri month that fall in two Gregorian months, within the chart's year.
    solar = jdatetime.date.fromgregorian(date=(datetime.now(UTC) - timedelta(days=60)).date())
    first = solar.replace(day=1).togregorian()
    with app.app_context():
        for offset, points in ((1, 30), (20, 12)):
            ledger.credit(person.id, points, "earned", reason=f"day {offset}")
            db.session.flush()
            newest = db.session.query(Entry).order_by(Entry.id.desc()).first()
            newest.created_at = datetime.combine(first + timedelta(days=offset), datetime.min.time())
        db.session.commit()
    page = client.get("/loyalty/").get_data(as_text=True)
    chart = page.split('<section class="card loyalty-chart">')[1].split("</table>")[0]
    months = re.findall(r'<tr><td><time datetime="([0-9-]+)">([^<]+)</time></td>', chart)
    assert len(months) == rows, months
    if language == "fa":
        assert months[0] == (first.isoformat(), format_date(first, user=PERSIAN, style="month"))
        assert months[0][1].endswith((" ۱۴۰۴", " ۱۴۰۵", " ۱۴۰۶")), "a Solar Hijri month in Persian digits"
        assert "</meter> ۴۲</td>" in chart, "both days' points in one row, in Persian digits"


def test_personalised_documents_say_member_since_in_the_customers_calendar(app, make_user):
    """``{{ customer.member_since }}`` in a document template, which the documents plugin makes a PDF of."""
    person = make_user(language="fa", timezone="Asia/Tehran")
    with app.app_context():
        user = db.session.get(User, person.id)
        user.created_at = datetime(2026, 3, 20, 21, 0)  # 00:30 on 1 Farvardin 1405 in Tehran
        assert customer_fields(user)["customer"]["member_since"] == "۱ فروردین ۱۴۰۵"


def chose(calendar: str, language: str = "en", timezone: str = "UTC") -> User:
    """A reader who chose ``calendar`` in their profile."""
    person = reader(language, timezone)
    person.calendar = calendar
    return person


def test_nowruz_and_the_leap_years_of_both_calendars(context):
    assert format_date(date(2026, 3, 21), user=PERSIAN) == "۱ فروردین ۱۴۰۵", "Nowruz 1405"
    assert format_date(date(2024, 2, 29), user=PERSIAN) == "۱۰ اسفند ۱۴۰۲", "a Gregorian leap day"
    assert format_date(date(2024, 2, 29), user=reader("en")) == "Feb 29, 2024"
    assert format_date(date(2025, 3, 20), user=chose("persian")) == "Esfand 30, 1403", "1403 is a leap year"


def test_a_reader_may_choose_a_calendar_other_than_their_languages(context):
    assert format_date(MOMENT, user=chose("gregorian", "fa", "Asia/Tehran")) == "۴ دسامبر ۲۰۲۶"
    assert format_date(MOMENT, user=chose("persian")) == "Azar 13, 1405", "Solar Hijri months in English"
    assert format_date(MOMENT, user=chose("persian"), style="short") == "9/13/05"
    assert format_date(MOMENT, user=chose("auto", "fa")) == "۱۳ آذر ۱۴۰۵", "auto: the language's calendar"
    assert month_start(MOMENT, user=chose("gregorian", "fa")) == date(2026, 12, 1)


def test_a_mail_is_in_the_calendar_forced_for_its_recipient(bare_app):
    from flask_babel import force_locale

    from portal.dates import force_calendar

    with bare_app.app_context(), force_locale("fa"), force_calendar("gregorian"):
        assert format_date(MOMENT) == "۴ دسامبر ۲۰۲۶"
    with bare_app.app_context(), force_locale("fa"), force_calendar("auto"):
        assert format_date(MOMENT) == "۱۳ آذر ۱۴۰۵"


def test_times_can_carry_the_readers_zone(bare_app):
    from flask_babel import force_locale

    from portal.dates import force_zone

    with bare_app.test_request_context(), force_locale("fa"), force_zone("Asia/Tehran"):
        html = render_template_string("{{ moment|datetimeformat(zone=True) }}", moment=MOMENT)
        assert html == f'<time datetime="2026-12-04T11:30:00Z">۱۳ آذر ۱۴۰۵،{RLM} ۱۵:۰۰ (وقت ایران)</time>'
    with bare_app.test_request_context():
        html = render_template_string("{{ moment|timeformat(zone=True) }}", moment=MOMENT)
        assert html.endswith(f">11:30{NNBSP}AM (Coordinated Universal Time)</time>")
