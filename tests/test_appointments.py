"""Appointments: times in staff's zone, booking and cancelling, reminders, the tile and the panel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from plugins.appointments import service
from plugins.appointments.events import AppointmentBooked, AppointmentCancelled
from plugins.appointments.models import Booking, Slot
from portal.plugin import User, db, set_setting
from portal.testing import (
    TEST_PASSWORD,
    events_emitted,
    freeze_clock,
    log_in,
    post_form,
    read_outbox,
    run_scheduled_task,
)
from portal.testing.races import race_in_app

pytestmark = pytest.mark.plugins("appointments")

# A Monday in March: London is on GMT, Tehran (no summer time since 2022) on UTC+03:30.
MONDAY = datetime(2026, 3, 2, 8, 0)
NEW = "/staff/appointments/new"


def add_slot(
    app, *, starts: datetime, capacity: int = 1, title: str = "Consultation", minutes: int = 30
) -> int:
    with app.app_context():
        slot = Slot(
            title=title,
            location="Room 2",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            capacity=capacity,
        )
        db.session.add(slot)
        db.session.commit()
        return slot.id


def signed_in(app, user):
    other = app.test_client()
    log_in(other, user.email, TEST_PASSWORD)
    return other


def book(client, slot_id: int, **kwargs):
    return post_form(client, f"/appointments/slots/{slot_id}/book", {}, **kwargs)


def bookings_of(app, slot_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(Booking.customer_id, Booking.status).where(Booking.slot_id == slot_id).order_by(Booking.id)
        )
        return [tuple(row) for row in rows]


def places_booked(app, slot_id: int) -> int:
    with app.app_context():
        return db.session.get(Slot, slot_id).booked


def test_staff_offer_a_time_on_their_own_clock_and_customers_see_it_on_theirs(
    app, client, login_as, make_user
):
    london = make_user(timezone="Europe/London")
    with freeze_clock(MONDAY):
        login_as("agent", timezone="Asia/Tehran")
        form = client.get(NEW).get_data(as_text=True)
        assert "Asia/Tehran" in form, "the form says in which zone the time is read"
        saved = post_form(
            client,
            NEW,
            {
                "title": "Product consultation",
                "location": "Room 2",
                "starts_at": "2026-03-10T10:00",
                "minutes": "45",
                "capacity": "2",
            },
        )
        assert saved.status_code == 302
        with app.app_context():
            slot = db.session.scalar(select(Slot))
            assert (slot.starts_at, slot.ends_at) == (
                datetime(2026, 3, 10, 6, 30),
                datetime(2026, 3, 10, 7, 15),
            )
        page = signed_in(app, london).get("/appointments/").get_data(as_text=True)
    assert "Product consultation" in page
    assert "6:30" in page and "10:00" not in page, "London reads 06:30 for 10:00 in Tehran"


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        ("2026-03-01T10:00", "Choose a time in the future."),
        ("2031-03-01T10:00", "Offer appointments at most two years ahead."),
        ("not a time", "Enter the date and time as year-month-day hour:minute, for example "),
        ("", "Enter the date and time it starts."),
    ],
)
def test_a_refused_slot_changes_nothing_and_keeps_what_was_typed(app, client, login_as, starts_at, message):
    with freeze_clock(MONDAY):
        login_as("agent")
        page = post_form(
            client,
            NEW,
            {"title": "Kept title", "location": "", "starts_at": starts_at, "minutes": "30", "capacity": "1"},
        )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert message in text
    assert 'value="Kept title"' in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Slot)) == 0


def test_a_time_the_clocks_skip_is_refused_with_a_reason(app, client, login_as):
    with freeze_clock(MONDAY):
        login_as("agent", timezone="Europe/Berlin")
        page = post_form(
            client,
            NEW,
            {
                "title": "Spring",
                "location": "",
                "starts_at": "2026-03-29T02:30",
                "minutes": "30",
                "capacity": "1",
            },
        )
    assert "That time does not exist in your time zone" in page.get_data(as_text=True)


def test_customers_book_and_a_second_booking_or_a_full_slot_is_refused(app, client, login_as, make_user):
    with freeze_clock(MONDAY):
        slot_id = add_slot(app, starts=MONDAY + timedelta(days=3), capacity=1)
        person = login_as("customer")
        with events_emitted(app) as emitted:
            booked = book(client, slot_id, follow_redirects=True).get_data(as_text=True)
            again = book(client, slot_id, follow_redirects=True).get_data(as_text=True)
            other = signed_in(app, make_user())
            full = book(other, slot_id, follow_redirects=True).get_data(as_text=True)
    assert "Booked: Consultation" in booked
    assert "You have already booked this appointment." in again
    assert "Sorry, this appointment is fully booked" in full
    assert bookings_of(app, slot_id) == [(person.id, "booked")]
    assert places_booked(app, slot_id) == 1
    assert [type(event) for event in emitted] == [AppointmentBooked], "refusals emit nothing"


def test_a_slot_that_has_started_cannot_be_booked(app, client, login_as):
    with freeze_clock(MONDAY):
        slot_id = add_slot(app, starts=MONDAY + timedelta(hours=1))
        login_as("customer")
    with freeze_clock(MONDAY + timedelta(hours=2)):
        page = book(client, slot_id, follow_redirects=True).get_data(as_text=True)
    assert "This appointment has already started" in page
    assert bookings_of(app, slot_id) == []


def test_many_customers_for_the_last_place_one_gets_it(app, make_user):
    slot_id = add_slot(app, starts=datetime.now() + timedelta(days=3), capacity=1)
    people = [make_user().id for _ in range(8)]

    def attempt(number: int) -> str:
        try:
            service.book(db.session.get(Slot, slot_id), db.session.get(User, people[number]))
            db.session.commit()
            return "booked"
        except service.BookingRefusedError:
            db.session.rollback()
            return "refused"

    outcomes = race_in_app(app, len(people), attempt)
    assert sorted(outcomes) == ["booked"] + ["refused"] * 7
    assert len(bookings_of(app, slot_id)) == 1
    assert places_booked(app, slot_id) == 1


def test_one_customer_in_many_tabs_books_once(app, make_user):
    slot_id = add_slot(app, starts=datetime.now() + timedelta(days=3), capacity=5)
    person = make_user().id

    def attempt(_number: int) -> str:
        try:
            service.book(db.session.get(Slot, slot_id), db.session.get(User, person))
            db.session.commit()
            return "booked"
        except service.BookingRefusedError:
            db.session.rollback()
            return "refused"

    outcomes = race_in_app(app, 6, attempt)
    assert outcomes.count("booked") == 1
    assert bookings_of(app, slot_id) == [(person, "booked")]
    assert places_booked(app, slot_id) == 1


def test_cancelling_frees_the_place_until_the_cut_off_then_says_whom_to_contact(app, client, login_as):
    with freeze_clock(MONDAY):
        early = add_slot(app, starts=MONDAY + timedelta(days=3), title="Early")
        late = add_slot(app, starts=MONDAY + timedelta(hours=5), title="Late")
        with app.app_context():
            set_setting("appointments", "contact", "reception, +1 555 0100", actor_id=None)
            db.session.commit()
        person = login_as("customer")
        book(client, early)
        book(client, late)
        ids = {slot: booking for booking, slot in _booking_ids(app, person.id)}
        with events_emitted(app) as emitted:
            done = post_form(client, f"/appointments/bookings/{ids[early]}/cancel", {}, follow_redirects=True)
            twice = post_form(
                client, f"/appointments/bookings/{ids[early]}/cancel", {}, follow_redirects=True
            )
            refused = post_form(
                client, f"/appointments/bookings/{ids[late]}/cancel", {}, follow_redirects=True
            )
    assert "Your appointment is cancelled." in done.get_data(as_text=True)
    assert twice.status_code == 200
    text = refused.get_data(as_text=True)
    assert "until 24 hours before they start" in text
    assert "reception, +1 555 0100" in text
    assert [type(event) for event in emitted] == [AppointmentCancelled], "one cancellation, one event"
    assert places_booked(app, early) == 0 and places_booked(app, late) == 1
    assert bookings_of(app, late) == [(person.id, "booked")]


def _booking_ids(app, customer_id: int) -> list[tuple[int, int]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(Booking.id, Booking.slot_id).where(Booking.customer_id == customer_id)
            )
        ]


def test_a_cancelled_appointment_can_be_booked_again(app, client, login_as):
    slot_id = add_slot(app, starts=datetime.now() + timedelta(days=5))
    person = login_as("customer")
    book(client, slot_id)
    [(booking_id, _slot)] = _booking_ids(app, person.id)
    post_form(client, f"/appointments/bookings/{booking_id}/cancel", {})
    book(client, slot_id)
    assert bookings_of(app, slot_id) == [(person.id, "booked")]
    assert places_booked(app, slot_id) == 1


def test_nobody_reaches_another_customers_booking(app, client, login_as, make_user):
    slot_id = add_slot(app, starts=datetime.now() + timedelta(days=5))
    owner = make_user()
    book(signed_in(app, owner), slot_id)
    [(booking_id, _slot)] = _booking_ids(app, owner.id)
    login_as("customer")
    assert post_form(client, f"/appointments/bookings/{booking_id}/cancel", {}).status_code == 404
    assert client.get(f"/appointments/bookings/{booking_id}/calendar.ics").status_code == 404
    assert bookings_of(app, slot_id) == [(owner.id, "booked")]


def test_the_calendar_file_holds_the_appointment_in_utc(app, client, login_as):
    starts = (datetime.now() + timedelta(days=5)).replace(microsecond=0, second=0)
    slot_id = add_slot(app, starts=starts, title="Review; with, commas")
    person = login_as("customer")
    book(client, slot_id)
    [(booking_id, _slot)] = _booking_ids(app, person.id)
    reply = client.get(f"/appointments/bookings/{booking_id}/calendar.ics")
    assert reply.mimetype == "text/calendar"
    event = Calendar.from_ical(reply.data).walk("VEVENT")[0]
    assert str(event["summary"]) == "Review; with, commas"
    assert event.decoded("dtstart").replace(tzinfo=None) == starts
    assert event.decoded("dtstart").utcoffset() == timedelta(0)


def test_the_reminder_goes_once_in_the_customers_zone_and_language(app, make_user):
    person = make_user(language="fa", timezone="Asia/Tehran")
    with freeze_clock(MONDAY) as clock:
        slot_id = add_slot(app, starts=MONDAY + timedelta(days=3))
        with app.app_context():
            service.book(db.session.get(Slot, slot_id), db.session.get(User, person.id))
            db.session.commit()
        run_scheduled_task(app, "appointments.remind")
        assert _notifications(app, person.id) == [], "not yet due: three days ahead, the lead is 24 hours"
        clock.advance(timedelta(days=2, hours=1))
        run_scheduled_task(app, "appointments.remind")
        run_scheduled_task(app, "appointments.remind")
    [notification] = _notifications(app, person.id)
    assert "۱۱:۳۰" in notification, "08:00 UTC is 11:30 in Tehran, written in Persian digits"
    assert "۱۴۰۴" in notification, "in the Solar Hijri calendar a Persian reader uses"
    [mail] = [message for message in read_outbox(app) if person.email in message["To"]]
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "appointment.ics"
    assert attachment.get_content_type() == "text/calendar"
    event = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


def _notifications(app, user_id: int) -> list[str]:
    from portal.notifications.models import Notification

    with app.app_context():
        return list(db.session.scalars(select(Notification.title).where(Notification.user_id == user_id)))


def test_the_dashboard_tile_shows_the_next_appointment(app, client, login_as):
    login_as("customer")
    assert "No appointment booked." in client.get("/appointments/widget").get_data(as_text=True)
    slot_id = add_slot(app, starts=datetime.now() + timedelta(days=2), title="Fitting")
    book(client, slot_id)
    assert "Fitting" in client.get("/appointments/widget").get_data(as_text=True)


def test_staff_see_a_customers_appointments_on_the_360_page(app, client, login_as, make_user):
    person = make_user()
    slot_id = add_slot(app, starts=datetime.now() + timedelta(days=2), title="Fitting")
    book(signed_in(app, person), slot_id)
    login_as("agent")
    page = client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    assert "Appointments" in page and "Fitting" in page
    slot_page = client.get(f"/staff/appointments/{slot_id}").get_data(as_text=True)
    assert person.name in slot_page


def test_staff_cancel_for_a_customer_who_is_told(app, client, login_as, make_user):
    person = make_user()
    slot_id = add_slot(app, starts=datetime.now() + timedelta(hours=2), title="Fitting")
    book(signed_in(app, person), slot_id)
    [(booking_id, _slot)] = _booking_ids(app, person.id)
    login_as("agent")
    post_form(client, f"/staff/appointments/bookings/{booking_id}/cancel", {})
    assert bookings_of(app, slot_id) == [(person.id, "cancelled")]
    assert any("Fitting" in title for title in _notifications(app, person.id))


def test_export_and_erasure_cover_the_customers_bookings(app, make_user):
    from portal.plugin_manager import plugin_host

    slot_id = add_slot(app, starts=datetime.now() + timedelta(days=2), title="Fitting", capacity=2)
    person = make_user()
    with app.app_context():
        service.book(db.session.get(Slot, slot_id), db.session.get(User, person.id))
        db.session.commit()
        user = db.session.get(User, person.id)
        [exported] = [
            a for a in plugin_host().hook.portal_export_customer_data(user=user) if a and "bookings" in a
        ]
        assert exported["bookings"][0]["appointment"] == "Fitting"
        plugin_host().hook.portal_erase_customer_data(user=user)
        db.session.commit()
    assert bookings_of(app, slot_id) == []
    assert places_booked(app, slot_id) == 0, "the erased customer's place is free again"


@pytest.mark.plugins("appointments", "loyalty")
def test_an_earning_rule_for_appointments_booked_pays_points_through_loyalty(
    app, client, login_as, make_user
):
    from plugins.loyalty import ledger

    login_as("admin")
    form = client.get("/staff/loyalty/earning-rules/new").get_data(as_text=True)
    assert 'value="appointments.booked"' in form, "loyalty offers the event without knowing this plugin"
    saved = post_form(
        client,
        "/staff/loyalty/earning-rules/new",
        {"event_name": "appointments.booked", "points": "15", "cap_period": "", "active": "y"},
    )
    assert saved.status_code in (302, 303)
    person = make_user()
    slot_id = add_slot(app, starts=datetime.now() + timedelta(days=4))
    tab = signed_in(app, person)
    book(tab, slot_id)
    [(booking_id, _slot)] = _booking_ids(app, person.id)
    post_form(tab, f"/appointments/bookings/{booking_id}/cancel", {})
    book(tab, slot_id)
    with app.app_context():
        assert ledger.balance(person.id) == 15, "booking the same slot again is the same fact: paid once"


def test_the_demo_adds_slots_in_each_customers_zone_once(app):
    from portal.demo import load_demo_data

    with app.app_context():
        load_demo_data()
        first = db.session.scalar(select(func.count()).select_from(Slot))
        load_demo_data()
        assert db.session.scalar(select(func.count()).select_from(Slot)) == first > 0
        titles = set(db.session.scalars(select(Slot.title)))
    assert "Product consultation" in titles and "مشاورهٔ خرید" in titles


def test_administrators_set_the_cut_off_and_the_reminder_lead(app, client, login_as):
    login_as("admin")
    page = client.get("/staff/settings/appointments").get_data(as_text=True)
    assert "Customers may cancel until (hours before the start)" in page
    assert "Send the reminder (hours before the start)" in page


def test_a_solar_hijri_agent_offers_a_slot_in_their_own_calendar(app, client, login_as):
    with freeze_clock(MONDAY):
        login_as("agent", language="fa", timezone="Asia/Tehran")
        form = client.get(NEW).get_data(as_text=True)
        assert 'name="starts_at"' in form and 'type="text"' in form and "datetime-local" not in form
        page = post_form(
            client,
            NEW,
            {
                "title": "Nowruz",
                "location": "",
                "starts_at": "۱۴۰۵/۰۱/۰۱ ۱۰:۰۰",
                "minutes": "30",
                "capacity": "1",
            },
        )
    assert page.status_code == 302, page.get_data(as_text=True)
    with app.app_context():
        slot = db.session.scalar(select(Slot))
        assert slot.starts_at == datetime(2026, 3, 21, 6, 30), "10:00 on 1 Farvardin 1405 in Tehran, in UTC"
