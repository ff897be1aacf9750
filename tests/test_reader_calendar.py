"""Each person's calendar and zone: chosen in the profile, honoured on pages and in every mail.

A mail is read by its recipient, so its dates are in the recipient's zone and calendar, never in
those of whoever happened to cause it (a UTC agent writing to a customer in Tehran).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_login import login_user
from jinja2 import ChoiceLoader, DictLoader

from plugins.loyalty import ledger
from portal.accounts.models import User
from portal.database import db
from portal.mail import send_mail
from portal.notifications.models import Notification
from portal.plugin import notify, set_setting
from portal.testing import post_form, read_outbox, text_of

MOMENT = datetime(2026, 12, 4, 11, 30)  # 15:00 in Tehran, 13 Azar 1405
RLM = "\u200f"
NNBSP = "\u202f"


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_the_profile_offers_calendars_and_a_list_of_zones_named_in_the_readers_language(client, login_as):
    login_as(language="fa", timezone="Asia/Tehran")
    page = client.get("/account/").get_data(as_text=True)
    assert '<option selected value="Asia/Tehran">وقت ایران</option>' in page
    assert 'value="Europe/Berlin">وقت آلمان (برلین)</option>' in page
    assert 'name="calendar"' in page and '<option selected value="auto">' in page
    assert "zone-picker.js" in page and "<script>" not in page


def test_the_zone_list_leaves_out_legacy_zones_whose_names_are_codes(client, login_as):
    login_as(language="fa", timezone="Asia/Tehran")
    page = client.get("/account/").get_data(as_text=True)
    for legacy in ("CST6CDT", "EST5EDT", "MST7MDT", "PST8PDT", "EST", "Etc/GMT+3", "US/Pacific"):
        assert f'value="{legacy}"' not in page
    assert 'value="UTC"' in page and 'value="America/New_York"' in page


def test_a_person_whose_stored_zone_is_a_legacy_one_keeps_it_offered(client, login_as):
    login_as(language="en", timezone="EST5EDT")
    page = client.get("/account/").get_data(as_text=True)
    assert '<option selected value="EST5EDT">' in page
    assert 'value="PST8PDT"' not in page


def test_a_persian_reader_may_choose_the_gregorian_calendar(app, client, login_as):
    person = login_as(language="fa", timezone="Asia/Tehran")
    saved = post_form(
        client,
        "/account/",
        {"name": "Sara", "language": "fa", "timezone": "Asia/Tehran", "calendar": "gregorian"},
    )
    assert saved.status_code == 302
    assert _user(app, person.id).calendar == "gregorian"
    with app.app_context():
        notify(db.session.get(User, person.id), "core.account", "Your address changed")
        db.session.query(Notification).update({"created_at": MOMENT})
        db.session.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert "۴ دسامبر ۲۰۲۶" in page, "Gregorian months, still in Persian words and digits"
    assert "آذر" not in page


def test_a_calendar_or_zone_not_on_the_list_is_refused(app, client, login_as):
    person = login_as()
    base = {"name": "Sara", "language": "en"}
    bad = post_form(client, "/account/", base | {"timezone": "Mars/Base", "calendar": "lunar"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Choose a time zone from the list, for example Iran Time." in page
    assert "Choose a calendar from the list." in page
    assert (_user(app, person.id).timezone, _user(app, person.id).calendar) == ("UTC", "auto")


DATED_MAIL = {
    "mail/dated.txt": "{{ moment|datetimeformat }}",
    "mail/dated.html": "<p>{{ moment|datetimeformat }}</p>",
}


@pytest.fixture
def dated_mail(app):
    """A mail template that writes a date, as a plugin's reminder does."""
    app.jinja_env.loader = ChoiceLoader([DictLoader(DATED_MAIL), app.jinja_env.loader])


def test_a_mail_is_written_in_its_recipients_zone_and_calendar_not_the_senders(app, make_user, dated_mail):
    sender = make_user("agent", language="en", timezone="UTC")
    recipient = make_user(language="fa", timezone="Asia/Tehran")
    with app.test_request_context():
        login_user(db.session.get(User, sender.id))
        person = db.session.get(User, recipient.id)
        send_mail(
            person.email,
            person.name,
            "dated",
            "When",
            "fa",
            timezone=person.timezone,
            calendar=person.calendar,
            moment=MOMENT,
        )
        db.session.commit()
    [mail] = read_outbox(app)
    assert text_of(mail).strip() == f"۱۳ آذر ۱۴۰۵،{RLM} ۱۵:۰۰"


def test_a_mail_to_someone_without_an_account_is_in_the_site_zone_not_the_senders(app, make_user, dated_mail):
    sender = make_user("agent", language="en", timezone="Asia/Tehran", calendar="persian")
    with app.test_request_context():
        login_user(db.session.get(User, sender.id))
        send_mail("guest@example.com", "Guest", "dated", "When", "en", moment=MOMENT)
        db.session.commit()
    [mail] = read_outbox(app)
    assert text_of(mail).strip() == f"Dec 4, 2026, 11:30{NNBSP}AM"


@pytest.mark.plugins("loyalty")
def test_the_points_expiry_mail_names_the_day_in_the_recipients_calendar(app, make_user):
    person = make_user(language="fa", timezone="Asia/Tehran")
    earned = datetime(2026, 3, 20, 21, 0)  # 00:30 on 1 Farvardin 1405 in Tehran
    with app.app_context():
        set_setting("loyalty", "expiry_months", 12, actor_id=None)
        ledger.credit(person.id, 100, "earned", reason="welcome", now=earned)
        db.session.commit()
        assert ledger.remind_expiring(earned + timedelta(days=360)) == 1
        db.session.commit()
    expiry = next(mail for mail in read_outbox(app) if "۱۰۰" in mail["Subject"] or "100" in mail["Subject"])
    assert "۱ فروردین ۱۴۰۶" in text_of(expiry), "Nowruz 1406 in Tehran, not 2027-03-20"
