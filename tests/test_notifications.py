"""Notifications: the bell, the list, marking read, email preferences, and ``notify`` for plugins.

Emails are the real ones the portal writes to instance/mail (or fails to send over a real, closed
SMTP port); the browser test drives chromium to see htmx swap the item and the bell.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from playwright.sync_api import Page, expect
from portal_example_plugin.notifications import NOTE_REMINDER
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.database import db
from portal.notifications.models import Notification, NotificationPreference
from portal.notifications.service import PAGE_SIZE
from portal.plugin import NotificationError, NotificationType, hookimpl, notify
from portal.plugin_manager import InstalledPlugin, PluginError, plugin_host
from portal.testing import (
    TEST_PASSWORD,
    UserRecord,
    link_in,
    log_in,
    post_form,
    read_outbox,
    statements_run,
    text_of,
)
from portal.testing.browser import BrowserProblems, LiveServer

ACCOUNT = "core.account"


def send(
    app: Flask, user_id: int, kind: str = ACCOUNT, title: object = "Your plan was renewed", **extra
) -> int:
    """Notify the way a plugin does during a request: ``notify`` in a transaction, then commit."""
    with app.test_request_context():
        notification = notify(db.session.get(User, user_id), kind, title, **extra)
        notification_id = notification.id
        db.session.commit()
    return notification_id


def notification(app: Flask, notification_id: int) -> Notification | None:
    with app.app_context():
        found = db.session.get(Notification, notification_id)
        if found is not None:
            db.session.expunge(found)
        return found


def count_rows(app: Flask, model: type[db.Model]) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def bell_label(html: str) -> str:
    match = re.search(r'id="notification-bell"[^>]*aria-label="([^"]*)"', html, re.S)
    assert match, "the page has no bell"
    return match.group(1)


def test_notify_lists_it_and_emails_it_with_a_link_back(app, client, login_as):
    user = login_as()
    notification_id = send(app, user.id, body="Your plan now runs until June.", url="/account/")

    [mail] = read_outbox(app)
    assert mail["To"].addresses[0].addr_spec == user.email
    assert mail["Subject"] == "Your plan was renewed"
    assert "Your plan now runs until June." in text_of(mail)
    assert f"http://localhost/notifications/{notification_id}/open" in text_of(mail), "the link is absolute"
    html = client.get("/notifications").get_data(as_text=True)
    assert "Your plan was renewed" in html and "Your plan now runs until June." in html

    response = client.get(link_in(mail, "/notifications/"))
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert notification(app, notification_id).read_at is not None


def test_email_and_lazy_title_are_in_the_recipients_language(app, make_user):
    user = make_user(language="fa", name="Nasrin")
    with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("fa"):
        greeting = gettext("Hello %(name)s,", name="Nasrin")
        title_in_persian = gettext("Your password was changed")
    assert title_in_persian != "Your password was changed", "the Persian catalogue translates this title"

    notification_id = send(app, user.id, title=_l("Your password was changed"))

    [mail] = read_outbox(app)
    assert mail["Content-Language"] == "fa"
    assert mail["Subject"] == title_in_persian
    assert greeting in text_of(mail)
    assert notification(app, notification_id).title == title_in_persian, "stored as the recipient reads it"


def test_email_escapes_the_title_and_body_in_html(app, make_user):
    user = make_user()
    send(app, user.id, title="<b>Tom & Jerry</b>", body="<script>alert(1)</script>")

    [mail] = read_outbox(app)
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in html and "<b>Tom" not in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<b>Tom & Jerry</b>" in text_of(mail), "the plain-text part is plain text"


def test_rollback_leaves_no_notification_and_sends_no_email(app, make_user):
    user = make_user()
    with app.test_request_context():
        notify(db.session.get(User, user.id), ACCOUNT, "Never happened")
        db.session.rollback()
        db.session.commit()

    assert count_rows(app, Notification) == 0
    assert read_outbox(app) == []


def test_savepoint_rollback_drops_only_the_notification_made_inside_it(app, make_user):
    user = make_user()
    with app.test_request_context():
        person = db.session.get(User, user.id)
        notify(person, ACCOUNT, "Kept")
        savepoint = db.session.begin_nested()
        notify(person, ACCOUNT, "Undone")
        savepoint.rollback()
        db.session.commit()

    assert [mail["Subject"] for mail in read_outbox(app)] == ["Kept"]
    with app.app_context():
        assert db.session.scalars(select(Notification.title)).all() == ["Kept"]


def test_a_released_savepoint_sends_nothing_until_the_outer_transaction_commits(app, make_user):
    user = make_user()
    with app.test_request_context():
        # Written before the savepoint: pysqlite only opens a transaction at the first write.
        person = db.session.get(User, user.id)
        notify(person, ACCOUNT, "Before the savepoint")
        with db.session.begin_nested():
            notify(person, ACCOUNT, "Inside a savepoint")
        assert read_outbox(app) == [], "releasing a savepoint is not a commit"
        db.session.rollback()
        db.session.commit()

    assert read_outbox(app) == []
    assert count_rows(app, Notification) == 0


def test_notify_outside_a_request_mails_after_the_commit(app_config, make_user):
    """As from a CLI command: no request, so rendering the mail may query (the plugin switches)."""
    from portal import create_app

    app_config["PORTAL_BASE_URL"] = "http://portal.example"
    app = create_app(dict(app_config))
    user = make_user()
    with app.app_context():
        notify(db.session.get(User, user.id), ACCOUNT, "From a command")
        db.session.commit()

    [mail] = read_outbox(app)
    assert "http://portal.example/notifications/" in text_of(mail)


def test_a_failing_mail_server_keeps_the_notification_and_retries_the_mail(app_config, make_user):
    from portal import create_app
    from portal.jobs import Job

    app_config["PORTAL_MAIL_URL"] = "smtp://127.0.0.1:1"  # nothing listens there: a real refusal
    app = create_app(dict(app_config))
    user = make_user()

    notification_id = send(app, user.id, title="Still here")

    assert notification(app, notification_id).title == "Still here"
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.task == "core.deliver_mail")).one()
        assert (job.status, job.attempts) == ("queued", 1), "the mail waits for its retry"
        assert "Connection refused" in job.last_error


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "core.nonsense"}, "No enabled plugin declares the notification kind 'core.nonsense'"),
        ({"title": "   "}, "needs a title"),
        ({"title": "x" * 201}, "title has 201 characters; at most 200"),
        ({"body": "x" * 2001}, "body has 2001 characters; at most 2000"),
        ({"url": "https://evil.example/"}, "must be a path inside the portal"),
        ({"url": "//evil.example/"}, "must be a path inside the portal"),
        ({"url": "/\\evil.example/"}, "must be a path inside the portal"),
        ({"url": "javascript:alert(1)"}, "must be a path inside the portal"),
        ({"url": "account/"}, "must be a path inside the portal"),
        ({"url": "/\t/evil.example/"}, "must be a path inside the portal"),
        ({"url": "/" + "x" * 500}, "url has 501 characters; at most 500"),
    ],
)
def test_notify_refuses_what_it_must_not_store(app, make_user, arguments, message):
    user = make_user()
    call = {"kind": ACCOUNT, "title": "Something happened", **arguments}
    with app.test_request_context():
        with pytest.raises(NotificationError, match=re.escape(message)):
            notify(db.session.get(User, user.id), **call)
        db.session.commit()

    assert count_rows(app, Notification) == 0
    assert read_outbox(app) == []


def test_notify_accepts_the_longest_values_that_fit(app, make_user):
    user = make_user()
    notification_id = send(app, user.id, title="t" * 200, body="b" * 2000, url="/" + "u" * 499)

    stored = notification(app, notification_id)
    assert (len(stored.title), len(stored.body), len(stored.url)) == (200, 2000, 500)


def test_a_kind_must_carry_the_name_of_the_plugin_declaring_it(app, make_user):
    class Rogue:
        @hookimpl
        def portal_notification_types(self) -> list[NotificationType]:
            return [NotificationType(kind="tickets.reply", label="Replies", description="Not ours")]

    host = plugin_host(app)
    host.manager.register(Rogue(), name="rogue")
    host.installed["rogue"] = InstalledPlugin("rogue", SimpleNamespace(), "rogue", "0")  # type: ignore[arg-type]
    app.config["PORTAL_PLUGINS"].append("rogue")
    user = make_user()

    with app.test_request_context(), pytest.raises(PluginError, match=r"'rogue' declares .*'tickets\.reply'"):
        notify(db.session.get(User, user.id), ACCOUNT, "Anything")


# --- The bell -----------------------------------------------------------------------------------


def test_bell_shows_the_unread_count_with_an_accessible_label(app, client, login_as):
    user = login_as()
    html = client.get("/dashboard").get_data(as_text=True)
    assert bell_label(html) == "Notifications"
    assert "notification-count" not in html

    send(app, user.id)
    assert bell_label(client.get("/dashboard").get_data(as_text=True)) == "Notifications, 1 unread"
    send(app, user.id)
    send(app, user.id)
    html = client.get("/dashboard").get_data(as_text=True)
    assert bell_label(html) == "Notifications, 3 unread"
    assert '<span class="notification-count">3</span>' in html


def test_bell_counts_only_the_signed_in_persons_unread(app, client, login_as, make_user):
    someone_else = make_user()
    send(app, someone_else.id)
    login_as()
    assert bell_label(client.get("/dashboard").get_data(as_text=True)) == "Notifications"


def test_bell_costs_one_count_query_and_visitors_none(app, client, login_as):
    with statements_run(app) as seen:
        client.get("/login")
    assert not [sql for sql in seen if "portal_notifications" in sql]
    user = login_as()
    send(app, user.id)

    with statements_run(app) as seen:
        client.get("/dashboard")

    counts = [sql for sql in seen if "portal_notifications" in sql]
    assert len(counts) == 1 and "count(" in counts[0].lower()


# --- The list, marking read, opening ---------------------------------------------------------------


def test_list_pages_newest_first_without_repeating(app, client, login_as):
    user = login_as()
    for number in range(1, PAGE_SIZE + 4):
        send(app, user.id, title=f"Notice number {number:02d}")

    first = client.get("/notifications").get_data(as_text=True)
    numbers = [int(n) for n in re.findall(r"Notice number (\d+)", first)]
    assert numbers == list(range(PAGE_SIZE + 3, 3, -1))
    older = re.search(r'href="(/notifications\?before=\d+)">Older notifications', first)
    assert older, "the first page links to the older ones"

    second = client.get(older.group(1)).get_data(as_text=True)
    assert [int(n) for n in re.findall(r"Notice number (\d+)", second)] == [3, 2, 1]
    assert "Older notifications" not in second


def test_newer_link_goes_back_to_the_page_before(app, client, login_as):
    user = login_as()
    for number in range(1, 2 * PAGE_SIZE + 4):
        send(app, user.id, title=f"Notice number {number:02d}")
    first = client.get("/notifications").get_data(as_text=True)
    assert "Newer notifications" not in first, "the newest page has nothing newer"
    second = client.get(re.search(r'href="([^"]+)">Older notifications', first).group(1)).get_data(
        as_text=True
    )
    back = client.get(re.search(r'href="([^"]+)">Newer notifications', second).group(1)).get_data(
        as_text=True
    )
    shown = re.compile(r"Notice number (\d+)")
    assert shown.findall(back) == shown.findall(first), "older then newer is the first page again"
    assert "Newer notifications" not in back and "Older notifications" in back


@pytest.mark.parametrize("before", ["99999999999999999999", "-5", "0", "soon", "~", "~soon", "~-5"])
def test_a_cursor_that_cannot_be_an_id_shows_the_first_page(app, client, login_as, before):
    user = login_as()
    send(app, user.id, title="The only one")
    response = client.get(f"/notifications?before={before}")
    assert response.status_code == 200
    assert "The only one" in response.get_data(as_text=True)


def test_unread_ones_are_marked_and_read_ones_are_not(app, client, login_as):
    user = login_as()
    read_id = send(app, user.id, title="Seen already")
    unread_id = send(app, user.id, title="Not seen yet")
    post_form(client, f"/notifications/{read_id}/read", {})

    html = client.get("/notifications").get_data(as_text=True)
    assert f'id="notification-{unread_id}" class="notification unread"' in html
    assert f'id="notification-{read_id}" class="notification"' in html
    assert html.count(">Unread</strong>") == 1
    assert html.count(">Mark as read</button>") == 1


def test_mark_read_without_javascript_goes_back_to_the_same_page(app, client, login_as):
    user = login_as()
    first_id = send(app, user.id)
    second_id = send(app, user.id)

    response = post_form(client, f"/notifications/{first_id}/read?before={second_id + 1}", {})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/notifications?before={second_id + 1}"
    assert notification(app, first_id).read_at is not None
    assert notification(app, second_id).read_at is None
    assert bell_label(client.get("/notifications").get_data(as_text=True)) == "Notifications, 1 unread"


def test_mark_read_with_htmx_swaps_the_item_and_the_bell_out_of_band(app, client, login_as):
    user = login_as()
    first_id = send(app, user.id, title="First news")
    send(app, user.id)
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/notifications").get_data(as_text=True)
    )

    response = client.post(
        f"/notifications/{first_id}/read",
        headers={"HX-Request": "true", "X-CSRFToken": token.group(1)},
    )

    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment and "site-header" not in fragment
    assert fragment.lstrip().startswith(f'<li id="notification-{first_id}" class="notification">')
    assert "First news" in fragment and "Mark as read" not in fragment
    bell = re.search(r'<a id="notification-bell"[^>]*>', fragment, re.S).group(0)
    assert 'hx-swap-oob="true"' in bell
    assert 'aria-label="Notifications, 1 unread"' in bell


def test_mark_all_read_touches_only_the_persons_own(app, client, login_as, make_user):
    someone_else = make_user()
    theirs = send(app, someone_else.id)
    user = login_as()
    mine = [send(app, user.id), send(app, user.id)]

    response = post_form(client, "/notifications/read", {})

    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    html = client.get("/notifications").get_data(as_text=True)
    assert "All your notifications are marked as read." in html
    assert bell_label(html) == "Notifications"
    assert "Mark all as read" not in html
    assert all(notification(app, own).read_at is not None for own in mine)
    assert notification(app, theirs).read_at is None


def test_open_without_a_link_marks_read_and_shows_the_list(app, client, login_as):
    user = login_as()
    notification_id = send(app, user.id)

    response = client.get(f"/notifications/{notification_id}/open")

    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    assert notification(app, notification_id).read_at is not None


def test_opening_the_email_link_signed_out_goes_through_sign_in(app, client, make_user):
    user = make_user()
    notification_id = send(app, user.id, url="/account/password")
    path = link_in(read_outbox(app)[0], "/notifications/")

    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next={path}"
    assert notification(app, notification_id).read_at is None

    response = post_form(client, f"/login?next={path}", {"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == path
    assert client.get(path).headers["Location"] == "/account/password"


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("post", "/notifications/{id}/read", {}),
        ("post", "/notifications/{id}/read", {"HX-Request": "true"}),
        ("get", "/notifications/{id}/open", {}),
    ],
)
def test_another_persons_notification_is_not_found(app, client, login_as, make_user, method, path, headers):
    someone_else = make_user()
    theirs = send(app, someone_else.id, url="/account/")
    login_as()
    url = path.format(id=theirs)

    if method == "post":
        response = post_form(client, url, {}, headers=headers)
    else:
        response = client.get(url, headers=headers)

    assert response.status_code == 404
    assert notification(app, theirs).read_at is None


@pytest.mark.parametrize("path", ["/notifications/99999999999/open", "/notifications/99999999999/read"])
def test_an_id_too_large_for_the_database_is_not_found(client, login_as, path):
    login_as()
    response = post_form(client, path, {}) if path.endswith("read") else client.get(path)
    assert response.status_code == 404


def test_state_changes_need_the_csrf_token(app, client, login_as):
    user = login_as()
    notification_id = send(app, user.id)
    assert client.post(f"/notifications/{notification_id}/read").status_code == 400
    assert client.post("/notifications/read").status_code == 400
    assert client.post("/account/notifications", data={"emailed_kinds": ACCOUNT}).status_code == 400
    assert notification(app, notification_id).read_at is None


@pytest.mark.parametrize("path", ["/notifications", "/account/notifications"])
def test_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next={path}"


# --- Email preferences ---------------------------------------------------------------------------


def test_preference_off_means_no_email_but_still_listed(app, client, login_as):
    user = login_as()
    html = client.get("/account/notifications").get_data(as_text=True)
    assert re.search(r'value="core.account"\s+id="email-1"[^>]*\schecked>', html), "on by default"

    response = post_form(client, "/account/notifications", {})
    assert response.status_code == 302 and response.headers["Location"] == "/account/notifications"
    html = client.get("/account/notifications").get_data(as_text=True)
    assert "Your email choices are saved." in html
    assert not re.search(r'value="core.account"[^>]*checked', html)

    send(app, user.id, title="Quietly noted")

    assert read_outbox(app) == []
    assert "Quietly noted" in client.get("/notifications").get_data(as_text=True)
    with app.app_context():
        choice = db.session.get(NotificationPreference, (user.id, ACCOUNT))
        assert choice is not None and choice.email is False


def test_account_tabs_link_to_the_preferences(client, login_as):
    login_as()
    html = client.get("/account/").get_data(as_text=True)
    assert '<a href="/account/notifications">Notifications</a>' in html


def test_a_kind_no_longer_on_offer_is_a_clear_error(app, client, login_as):
    login_as()
    response = post_form(client, "/account/notifications", {"emailed_kinds": [ACCOUNT, NOTE_REMINDER]})
    assert response.status_code == 400
    assert "The choices on offer changed while the page was open." in response.get_data(as_text=True)
    assert count_rows(app, NotificationPreference) == 0


def test_a_switched_off_plugins_kind_is_neither_offered_nor_sendable(app, client, login_as):
    user = login_as()
    assert "Note reminders" not in client.get("/account/notifications").get_data(as_text=True)
    with app.test_request_context(), pytest.raises(NotificationError, match=re.escape(NOTE_REMINDER)):
        notify(db.session.get(User, user.id), NOTE_REMINDER, "Remember your note")


@pytest.mark.plugins("example")
def test_portal_notification_types_offers_and_sends_the_plugins_kind(app, client, login_as):
    user = login_as()
    html = client.get("/account/notifications").get_data(as_text=True)
    assert "Note reminders" in html
    assert "A reminder about a note you asked us to remind you of." in html
    assert not re.search(r'value="example.note_reminder"[^>]*checked', html), "off by default, as declared"

    send(app, user.id, kind=NOTE_REMINDER, title="Remember your note")
    assert read_outbox(app) == [], "not emailed until the customer asks for it"
    assert "Remember your note" in client.get("/notifications").get_data(as_text=True)

    post_form(client, "/account/notifications", {"emailed_kinds": [ACCOUNT, NOTE_REMINDER]})
    send(app, user.id, kind=NOTE_REMINDER, title="Remember it again")
    assert [mail["Subject"] for mail in read_outbox(app)] == ["Remember it again"]


def test_portal_notification_types_not_asked_of_a_switched_off_plugin(app, client, login_as):
    login_as()
    html = client.get("/account/notifications").get_data(as_text=True)
    assert "Account notices" in html and "Note reminders" not in html


@pytest.mark.plugins("example")
def test_choices_for_a_switched_off_plugin_are_kept(app, app_config, client, login_as):
    from portal import create_app

    user = login_as()
    post_form(client, "/account/notifications", {"emailed_kinds": [ACCOUNT, NOTE_REMINDER]})
    app_config["PORTAL_PLUGINS"] = []
    without_plugin = create_app(dict(app_config))
    other_client = without_plugin.test_client()
    log_in(other_client, user.email, TEST_PASSWORD)
    post_form(other_client, "/account/notifications", {})

    with app.app_context():
        query = select(NotificationPreference.kind, NotificationPreference.email).where(
            NotificationPreference.user_id == user.id
        )
        choices = dict(db.session.execute(query).tuples().all())
    assert choices == {ACCOUNT: False, NOTE_REMINDER: True}


# --- Account deletion ------------------------------------------------------------------------------


def test_deleting_the_account_deletes_its_notifications_and_choices(app, client, login_as):
    user = login_as()
    send(app, user.id)
    post_form(client, "/account/notifications", {})

    response = post_form(
        client, "/account/delete", {"current_password": TEST_PASSWORD, "confirm": "y"}, follow_redirects=False
    )

    assert response.status_code == 302
    assert count_rows(app, Notification) == 0
    assert count_rows(app, NotificationPreference) == 0


# --- In a real browser ---------------------------------------------------------------------------


@pytest.mark.e2e
def test_mark_as_read_in_the_browser_updates_item_and_bell_in_place(
    request: pytest.FixtureRequest, app: Flask, make_user
) -> None:
    # The e2e fixtures, asked for by name: importing them above makes them available to this module.
    server: LiveServer = request.getfixturevalue("live_server")
    tab: Page = request.getfixturevalue("page")
    problems: BrowserProblems = request.getfixturevalue("browser_problems")
    user: UserRecord = make_user()
    first_id = send(app, user.id, title="Your plan was renewed")
    send(app, user.id, title="Your address was updated")
    tab.goto("/login")
    tab.get_by_label("Email address").fill(user.email)
    tab.get_by_label("Password").fill(TEST_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("link", name="Notifications, 2 unread").click()
    expect(tab).to_have_url(f"{server.url}/notifications")
    item = tab.locator(f"#notification-{first_id}")
    tab.evaluate("window.notificationsTestMarker = true")

    item.get_by_role("button", name="Mark as read").click()

    expect(item.get_by_role("button", name="Mark as read")).to_have_count(0)
    expect(item).not_to_have_class(re.compile(r"\bunread\b"))
    expect(tab.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    expect(tab).to_have_url(f"{server.url}/notifications")
    assert tab.evaluate("window.notificationsTestMarker === true"), "htmx swapped; the page did not reload"
    assert problems.all() == []
