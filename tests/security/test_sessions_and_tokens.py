"""Sessions end when a person signs out, emailed links vouch only for the state they were made for,
and the pages that take an address do the same work whether or not it has an account.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.database import db
from portal.events import StoredEvent
from portal.jobs import Job
from portal.passwords import hash_password
from portal.testing import TEST_PASSWORD, csrf_token, link_in, log_in, post_form, read_outbox, statements_run
from portal.testing.races import race, same_browser

NEW_PASSWORD = "a brand new long passphrase"


def _set(app: Flask, user_id: int, **values: object) -> None:
    """Change an account behind the browser's back, as another tab or an administrator would."""
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(**values))
        db.session.commit()


def _count(app: Flask, model: type, *where: object) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _client_with_only(app: Flask, client: FlaskClient, cookie_name: str) -> FlaskClient:
    """A browser holding a copy of one of ``client``'s cookies and nothing else."""
    copy = app.test_client()
    cookie = client.get_cookie(cookie_name)
    assert cookie is not None, f"{cookie_name} was set"
    copy.set_cookie(cookie_name, cookie.value)
    return copy


# --- signing out --------------------------------------------------------------------------------


def test_signing_out_with_keep_me_signed_in_leaves_the_next_request_anonymous(app, client, make_user):
    user = make_user()
    log_in(client, user.email, TEST_PASSWORD, remember="y")
    assert client.get_cookie("remember_token") is not None

    post_form(client, "/logout", {})

    assert client.get_cookie("remember_token") is None, "the remember cookie is deleted"
    assert client.get("/dashboard").status_code == 302


def test_cookies_copied_before_signing_out_are_refused_afterwards(app, client, make_user):
    user = make_user()
    log_in(client, user.email, TEST_PASSWORD, remember="y")
    [whole_copy] = same_browser(client, 1)
    remember_copy = _client_with_only(app, client, "remember_token")
    session_copy = _client_with_only(app, client, "session")
    assert remember_copy.get("/dashboard").status_code == 200, "the copied remember cookie signs in"

    post_form(client, "/logout", {})

    for copy in (whole_copy, remember_copy, session_copy):
        assert copy.get("/dashboard").status_code == 302


def test_signing_out_in_one_browser_signs_out_every_other(app, client, make_user):
    user = make_user()
    log_in(client, user.email, TEST_PASSWORD)
    phone = app.test_client()
    log_in(phone, user.email, TEST_PASSWORD)

    page = post_form(client, "/logout", {}, follow_redirects=True).get_data(as_text=True)

    assert "You are signed out on every device." in page
    assert phone.get("/dashboard").status_code == 302
    log_in(client, user.email, TEST_PASSWORD)
    assert client.get("/dashboard").status_code == 200, "signing in again works"


# --- confirming an address once -----------------------------------------------------------------


def test_twenty_simultaneous_clicks_on_the_confirmation_link_confirm_once(app, client):
    post_form(
        client, "/register", {"name": "Nasrin", "email": "nasrin@example.com", "password": TEST_PASSWORD}
    )
    verify_path = link_in(read_outbox(app)[0], "/verify/")
    tabs = same_browser(client, 20)

    answers = race(20, lambda number: tabs[number].get(verify_path).status_code)

    assert answers == [302] * 20, answers
    assert _count(app, StoredEvent, StoredEvent.name == "core.email_verified") == 1
    assert _count(app, AuditEvent, AuditEvent.kind == "email_verified") == 1
    page = client.get(verify_path, follow_redirects=True).get_data(as_text=True)
    assert "already confirmed" in page


def test_twenty_simultaneous_clicks_on_the_email_change_link_change_it_once(app, client, login_as):
    user = login_as()
    post_form(client, "/account/email", {"email": "new@example.com", "current_password": TEST_PASSWORD})
    confirm_path = link_in(read_outbox(app)[-1], "/account/email/confirm/")
    tabs = same_browser(client, 20)

    answers = race(20, lambda number: tabs[number].get(confirm_path).status_code)

    assert all(status in (302, 400) for status in answers), answers
    assert _count(app, AuditEvent, AuditEvent.kind == "email_changed") == 1
    notices = [mail for mail in read_outbox(app) if mail["Subject"] == "Your email address was changed"]
    assert [mail["To"].addresses[0].addr_spec for mail in notices] == [user.email]


def test_twenty_simultaneous_resets_with_one_link_change_the_password_once(app, client, make_user):
    user = make_user()
    post_form(client, "/forgot-password", {"email": user.email})
    reset_path = link_in(read_outbox(app)[0], "/reset-password/")
    token = csrf_token(client)
    tabs = same_browser(client, 20)

    def reset(number: int) -> int:
        data = {"csrf_token": token, "password": f"{NEW_PASSWORD} {number}"}
        return tabs[number].post(reset_path, data=data).status_code

    answers = race(20, reset)

    assert answers.count(302) == 1, answers
    assert _count(app, AuditEvent, AuditEvent.kind == "password_reset") == 1
    changed = [mail for mail in read_outbox(app) if mail["Subject"] == "Your password was changed"]
    assert len(changed) == 1


def test_simultaneous_password_changes_in_two_tabs_change_it_once(app, client, login_as):
    login_as()
    token = csrf_token(client)
    tabs = same_browser(client, 10)

    def change(number: int) -> str:
        data = {
            "csrf_token": token,
            "current_password": TEST_PASSWORD,
            "new_password": f"{NEW_PASSWORD} {number}",
        }
        response = tabs[number].post("/account/password", data=data)
        return f"{response.status_code} {response.headers.get('Location', '')}"

    answers = race(10, change)

    # The winning tab lands on the account page. A tab that asked after the change finds itself signed out
    # (the change ends every other session), and one that asked during it is told its password is wrong.
    changed_here = [answer for answer in answers if answer == "302 /account/"]
    assert len(changed_here) == 1, answers
    others = [answer for answer in answers if answer not in changed_here]
    assert all(answer == "400 " or "/login" in answer for answer in others), answers
    assert _count(app, AuditEvent, AuditEvent.kind == "password_changed") == 1
    changed = [mail for mail in read_outbox(app) if mail["Subject"] == "Your password was changed"]
    assert len(changed) == 1


# --- links bound to what they vouch for ---------------------------------------------------------


def test_a_reset_link_stops_working_when_the_address_changes(app, client, make_user):
    user = make_user()
    post_form(client, "/forgot-password", {"email": user.email})
    reset_path = link_in(read_outbox(app)[0], "/reset-password/")

    _set(app, user.id, email="somewhere-else@example.com")

    assert client.get(reset_path).status_code == 400
    assert post_form(client, reset_path, {"password": NEW_PASSWORD}).status_code == 400


def test_a_confirmation_link_stops_working_when_the_address_changes(app, client):
    post_form(
        client, "/register", {"name": "Nasrin", "email": "nasrin@example.com", "password": TEST_PASSWORD}
    )
    verify_path = link_in(read_outbox(app)[0], "/verify/")
    with app.app_context():
        user_id = db.session.scalars(select(User.id)).one()

    _set(app, user_id, email="other@example.com")

    assert client.get(verify_path).status_code == 400
    with app.app_context():
        assert db.session.get(User, user_id).email_verified_at is None


def test_an_email_change_link_stops_working_when_the_password_changes(app, client, login_as):
    user = login_as()
    post_form(client, "/account/email", {"email": "new@example.com", "current_password": TEST_PASSWORD})
    confirm_path = link_in(read_outbox(app)[-1], "/account/email/confirm/")

    with app.app_context():
        new_hash = hash_password(NEW_PASSWORD)
    _set(app, user.id, password_hash=new_hash)

    assert client.get(confirm_path).status_code == 400
    with app.app_context():
        assert db.session.get(User, user.id).email == user.email


def test_an_email_change_link_works_for_the_address_it_names_only(app, client, login_as):
    user = login_as()
    post_form(client, "/account/email", {"email": "first@example.com", "current_password": TEST_PASSWORD})
    first = link_in(read_outbox(app)[-1], "/account/email/confirm/")
    post_form(client, "/account/email", {"email": "second@example.com", "current_password": TEST_PASSWORD})
    second = link_in(read_outbox(app)[-1], "/account/email/confirm/")

    assert client.get(second).status_code == 302
    assert client.get(first).status_code == 400, "the other link vouched for the old address"
    with app.app_context():
        assert db.session.get(User, user.id).email == "second@example.com"


# --- the same work whether or not an account exists ---------------------------------------------


def _statements_of_post(app: Flask, client: FlaskClient, path: str, email: str) -> tuple[int, list[str]]:
    token = csrf_token(client)
    with statements_run(app) as seen:
        status = client.post(path, data={"csrf_token": token, "email": email}).status_code
    return status, seen


def _queued_jobs(app: Flask) -> list[tuple[str, dict[str, object]]]:
    with app.app_context():
        return [(job.task, job.arguments) for job in db.session.scalars(select(Job).order_by(Job.id))]


def test_forgot_password_does_the_same_work_whether_or_not_the_address_has_an_account(
    redis_queue, app, client, make_user
):
    """With Redis the request only enqueues; the mail is composed in the worker (which the test runs)."""
    user = make_user()

    known = _statements_of_post(app, client, "/forgot-password", user.email)
    unknown = _statements_of_post(app, client, "/forgot-password", "ghost@example.com")

    assert known == unknown
    [(known_task, known_args), (unknown_task, unknown_args)] = _queued_jobs(app)
    assert known_task == unknown_task
    assert (known_args, unknown_args) == ({"email": user.email}, {"email": "ghost@example.com"})
    assert read_outbox(app) == []

    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    [mail] = read_outbox(app)
    assert mail["To"].addresses[0].addr_spec == user.email
    assert link_in(mail, "/reset-password/")


def test_resending_the_confirmation_does_the_same_work_for_every_address(redis_queue, app, client, make_user):
    waiting = make_user(verified=False)
    confirmed = make_user()

    answers = [
        _statements_of_post(app, client, "/verify/resend", email)
        for email in (waiting.email, confirmed.email, "ghost@example.com")
    ]

    assert answers[0] == answers[1] == answers[2]
    jobs = _queued_jobs(app)
    assert len({task for task, _arguments in jobs}) == 1
    assert [arguments for _task, arguments in jobs] == [
        {"email": waiting.email},
        {"email": confirmed.email},
        {"email": "ghost@example.com"},
    ]

    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    [mail] = read_outbox(app)
    assert mail["To"].addresses[0].addr_spec == waiting.email
    assert link_in(mail, "/verify/")


def test_without_redis_the_reset_mail_still_arrives(app, client, make_user):
    user = make_user()
    post_form(client, "/forgot-password", {"email": user.email})
    [mail] = read_outbox(app)
    reset_path = link_in(mail, "/reset-password/")
    assert post_form(client, reset_path, {"password": NEW_PASSWORD}).status_code == 302
    log_in(client, user.email, NEW_PASSWORD)


# --- personal data is not cached ----------------------------------------------------------------


def test_the_data_export_is_never_cached(app, client, login_as):
    login_as()
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
