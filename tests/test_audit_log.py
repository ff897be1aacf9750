"""The audit log's filters: event, account email, dates in the administrator's time zone, and paging."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from flask import Flask

from portal.audit import AuditEvent
from portal.database import db
from portal.plugin import set_setting
from portal.testing import TEST_PASSWORD, log_in, post_form

ROW = re.compile(
    r"<tr><td[^>]*>(?:<time[^>]*>)?([^<]*)(?:</time>)?</td><td[^>]*>([a-z_]+)</td>\s*<td[^>]*>([^<]*)</td>"
)
OLDER_LINK = re.compile(r'<a href="([^"]+)" rel="next">')


def add_event(
    app: Flask, kind: str, when: datetime | None = None, actor_id: int | None = None, **detail
) -> int:
    with app.app_context():
        event = AuditEvent(kind=kind, actor_id=actor_id, detail=detail)
        if when is not None:
            event.created_at = when
        db.session.add(event)
        db.session.commit()
        return event.id


def listed(page: str) -> list[tuple[str, str, str]]:
    """The log's rows as (when, event, account), top to bottom."""
    return ROW.findall(page)


def test_filter_by_account_email_finds_what_it_did_and_what_was_done_to_it(app, client, login_as, make_user):
    login_as("admin")
    ada = make_user("customer", email="ada@example.com")
    bob = make_user("customer", email="bob@example.com")
    add_event(app, "login", actor_id=ada.id)
    add_event(app, "role_changed", user_id=ada.id, role="agent", via="cli")
    add_event(app, "login_failed", email="ada@example.com")
    add_event(app, "login", actor_id=bob.id)
    add_event(app, "login_failed", email="nobody@example.com")

    page = client.get("/staff/audit?email=ADA@Example.com").get_data(as_text=True)
    assert [kind for _when, kind, _account in listed(page)] == ["login_failed", "role_changed", "login"]
    assert listed(page)[-1][2] == "ada@example.com", "the account column names the actor"

    stranger = client.get("/staff/audit?email=nobody@example.com").get_data(as_text=True)
    assert [kind for _when, kind, _account in listed(stranger)] == ["login_failed"]

    partial = client.get("/staff/audit?email=ada@").get_data(as_text=True)
    assert listed(partial) == [] and "No events match these filters." in partial, "the match is exact"


def test_filters_combine(app, client, login_as, make_user):
    login_as("admin")
    ada = make_user("customer", email="ada@example.com")
    add_event(app, "login", actor_id=ada.id)
    add_event(app, "logout", actor_id=ada.id)
    page = client.get("/staff/audit?email=ada@example.com&kind=logout").get_data(as_text=True)
    assert [kind for _when, kind, _account in listed(page)] == ["logout"]


def test_dates_are_days_in_the_administrators_time_zone(app, client, login_as):
    login_as("admin", timezone="Asia/Tehran")  # UTC+03:30 all year
    add_event(
        app, "plugin_enabled", when=datetime(2026, 3, 1, 20, 0), plugin="late-evening"
    )  # 23:30 on 1 March
    add_event(
        app, "plugin_enabled", when=datetime(2026, 3, 1, 21, 0), plugin="after-midnight"
    )  # 00:30 on 2 March
    add_event(
        app, "plugin_enabled", when=datetime(2026, 3, 2, 20, 29), plugin="end-of-day"
    )  # 23:59 on 2 March
    add_event(app, "plugin_enabled", when=datetime(2026, 3, 2, 20, 30), plugin="next-day")  # 00:00 on 3 March

    page = client.get("/staff/audit?date_from=2026-03-02&date_to=2026-03-02").get_data(as_text=True)
    assert "after-midnight" in page and "end-of-day" in page
    assert "late-evening" not in page and "next-day" not in page
    assert "March 2, 2026, 12:30:00\u202fAM" in page, "times are shown in the administrator's zone too"
    assert "When (Iran Time)" in page, "the zone in words, not its database name"

    since = client.get("/staff/audit?date_from=2026-03-03&kind=plugin_enabled").get_data(as_text=True)
    assert [when for when, _kind, _account in listed(since)] == ["March 3, 2026, 12:00:00\u202fAM"]


@pytest.mark.parametrize("zone", ["Asia/Tehran", "America/Los_Angeles"])
def test_the_farthest_dates_a_date_input_allows_mean_from_the_beginning_and_until_the_end(
    app, client, login_as, zone
):
    """9999-12-31 has no day after it and 0001-01-01 no midnight in UTC east of Greenwich: no 500."""
    login_as("admin", timezone=zone)
    add_event(app, "plugin_enabled", when=datetime(2026, 3, 1, 12, 0), plugin="in-range")
    everything = client.get("/staff/audit?date_from=0001-01-01&date_to=9999-12-31")
    assert everything.status_code == 200 and "in-range" in everything.get_data(as_text=True)
    far_future = client.get("/staff/audit?date_from=9999-12-31&date_to=9999-12-31")
    assert far_future.status_code == 200 and "in-range" not in far_future.get_data(as_text=True)
    far_past = client.get("/staff/audit?date_from=0001-01-01&date_to=0001-01-01")
    assert far_past.status_code == 200 and "in-range" not in far_past.get_data(as_text=True)


def test_paging_keeps_the_filters_with_no_duplicates_or_gaps(app, client, login_as):
    login_as("admin")
    start = datetime(2026, 1, 1)
    failed = []
    for index in range(60):
        failed.append(
            add_event(app, "login_failed", when=start + timedelta(minutes=index), email="x@example.com")
        )
        add_event(app, "logout", when=start + timedelta(minutes=index))
    first = client.get("/staff/audit?kind=login_failed&date_from=2026-01-01").get_data(as_text=True)
    older = unescape(OLDER_LINK.search(first).group(1))
    assert "kind=login_failed" in older and "date_from=2026-01-01" in older
    second = client.get(older).get_data(as_text=True)
    assert OLDER_LINK.search(second) is None
    rows = listed(first) + listed(second)
    assert len(listed(first)) == 50 and len(rows) == 60
    assert {kind for _when, kind, _account in rows} == {"login_failed"}
    expected = [f"January 1, 2026, 12:{index:02d}:00\u202fAM" for index in reversed(range(60))]
    assert [when for when, _kind, _account in rows] == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=everything", "Choose an event from the list."),
        ("date_from=31/01/2026", "Enter the date as year-month-day, for example "),
        ("date_to=2026-02-30", "That day is not in the calendar. Enter the date as year-month-day"),
        ("date_from=2026-02-02&date_to=2026-02-01", "The end date comes before the start date."),
        ("email=" + "a" * 250 + "@example.com", "An email address has at most 254 characters."),
        ("before=12abc", "That page link is broken."),
        ("before=" + "9" * 40, "That page link is broken."),
    ],
)
def test_bad_filters_get_a_clear_message(app, client, login_as, query, message):
    login_as("admin")
    add_event(app, "logout")
    response = client.get(f"/staff/audit?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert listed(page) == [], "no events are shown under filters that could not be read"


def test_setting_changes_are_in_the_log(app, client, login_as):
    admin = login_as("admin", email="root@example.com")
    with app.test_request_context():
        set_setting("example", "panel_notes", 4, actor_id=admin.id)
        db.session.commit()
    page = client.get("/staff/audit?kind=setting_changed").get_data(as_text=True)
    assert listed(page)[0][1:] == ("setting_changed", "root@example.com")


def test_a_sign_in_from_another_device_shows_under_its_address(app, client, login_as, make_user):
    # End to end: real sign-ins write the events the filter then finds.
    person = make_user("customer", email="carol@example.com")
    other = app.test_client()
    post_form(other, "/login", {"email": person.email, "password": "wrong wrong wrong"})
    log_in(other, person.email, TEST_PASSWORD)
    login_as("admin")
    page = client.get("/staff/audit?email=carol@example.com").get_data(as_text=True)
    assert [kind for _when, kind, _account in listed(page)] == ["login", "login_failed"]


def test_plugins_log_their_own_kinds_and_administrators_filter_on_them(app, client, login_as):
    from portal.plugin import record_audit_event

    login_as("admin")
    with app.test_request_context("/"):
        for wrong in ("goodwill_granted", "nosuchplugin.granted", "example.Bad Kind", "example."):
            with pytest.raises(ValueError, match=r"<plugin>\.<event>"):
                record_audit_event(wrong, None)
        record_audit_event("example.note_exported", None, note_id=7)
        db.session.commit()
    page = client.get("/staff/audit").get_data(as_text=True)
    assert '<option value="example.note_exported">' in page, "kinds the log holds are offered"
    filtered = client.get("/staff/audit?kind=example.note_exported").get_data(as_text=True)
    assert "note_id" in filtered
    refused = client.get("/staff/audit?kind=<script>").get_data(as_text=True)
    assert "Choose an event from the list." in refused
