"""Surveys under simultaneous requests: one submission, one answer per question, nobody asked twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from survey_world import published_survey

from plugins.surveys import invitations
from plugins.surveys.models import Answer, Invitation, Response, Survey
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.notifications.models import Notification
from portal.testing import TEST_PASSWORD, create_user, csrf_token, log_in, post_form, read_outbox
from portal.testing.races import race, same_browser

pytestmark = pytest.mark.plugins("surveys")

ATTEMPTS = 8


def count(app: Flask, query) -> int:
    with app.app_context():
        return db.session.scalar(query) or 0


@pytest.mark.parametrize("anonymous", [False, True])
def test_simultaneous_submits_after_an_autosave_store_one_response_once(app, client, anonymous):
    survey_id, (score, reason) = published_survey(app, anonymous=anonymous, audience_key="all-customers")
    person = create_user(app, "customer")
    log_in(client, person.email, TEST_PASSWORD)
    saved = post_form(client, f"/surveys/{survey_id}/autosave", {f"q{score}": "9", "shown": reason})
    assert saved.status_code == 200
    token = csrf_token(client)
    tabs = same_browser(client, ATTEMPTS)
    form = {"csrf_token": token, f"q{score}": "9", f"q{reason}": "Quick and kind", "action": "submit"}

    outcomes = race(ATTEMPTS, lambda n: tabs[n].post(f"/surveys/{survey_id}/", data=form))

    for outcome in outcomes:
        assert not isinstance(outcome, BaseException), outcome
        assert outcome.status_code == 302 and outcome.headers["Location"].endswith("/thanks")
    submitted = select(func.count()).select_from(Response).where(Response.submitted_at.is_not(None))
    assert count(app, submitted) == 1
    per_question = select(Answer.question_id, func.count()).group_by(Answer.question_id)
    with app.app_context():
        assert dict(db.session.execute(per_question).all()) == {score: 1, reason: 1}
    completed = select(func.count()).select_from(StoredEvent).where(StoredEvent.name == "surveys.completed")
    assert count(app, completed) == 1

    staff = app.test_client()
    log_in(staff, create_user(app, "agent").email, TEST_PASSWORD)
    results = staff.get(f"/staff/surveys/{survey_id}/results").get_data(as_text=True)
    assert "Responses: 1" in results and "NPS: 100" in results and "Average: 9.00" in results


def test_simultaneous_autosaves_keep_one_answer_per_question(app, client):
    survey_id, (score, reason) = published_survey(app, audience_key="all-customers")
    person = create_user(app, "customer")
    log_in(client, person.email, TEST_PASSWORD)
    token = csrf_token(client)
    tabs = same_browser(client, ATTEMPTS)

    outcomes = race(
        ATTEMPTS,
        lambda n: tabs[n].post(
            f"/surveys/{survey_id}/autosave",
            data={"csrf_token": token, f"q{score}": str(n), f"q{reason}": f"Typed in tab {n}"},
        ),
    )

    assert [getattr(o, "status_code", o) for o in outcomes] == [200] * ATTEMPTS
    assert count(app, select(func.count()).select_from(Response)) == 1
    with app.app_context():
        rows = db.session.execute(select(Answer.question_id, Answer.value, Answer.text)).all()
    assert sorted(question for question, _v, _t in rows) == sorted([score, reason])
    value = next(v for q, v, _t in rows if q == score)
    assert any(t == f"Typed in tab {value}" for q, _v, t in rows if q == reason)


def test_invitations_sent_at_once_by_two_runs_reach_the_customer_once(app):
    survey_id, _questions = published_survey(app, audience_key="all-customers")
    people = [create_user(app, "customer") for _ in range(3)]
    with app.app_context():
        assert invitations.invite_audience(db.session.get(Survey, survey_id)) == 3
        db.session.commit()

    def send(_n: int) -> int:
        with app.test_request_context():
            sent = invitations.send_due_invitations()
            db.session.commit()
            return sent

    outcomes = race(ATTEMPTS, send)

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == 3
    invited = select(func.count()).select_from(StoredEvent).where(StoredEvent.name == "surveys.invited")
    assert count(app, invited) == 3
    assert count(app, select(func.count()).select_from(Notification)) == 3
    assert len(read_outbox(app)) == 3
    with app.app_context():
        assert set(db.session.scalars(select(Invitation.status))) == {"sent"}
        assert {p.id for p in people} == set(db.session.scalars(select(Invitation.customer_id)))


def test_reminders_sent_at_once_by_two_runs_remind_once(app):
    survey_id, _questions = published_survey(app, audience_key="all-customers")
    create_user(app, "customer")
    with app.test_request_context():
        invitations.invite_audience(db.session.get(Survey, survey_id))
        assert invitations.send_due_invitations() == 1
        db.session.commit()
    later = utcnow() + timedelta(days=4)

    def remind(_n: int) -> int:
        with app.test_request_context():
            reminded = invitations.send_reminders(later)
            db.session.commit()
            return reminded

    outcomes = race(ATTEMPTS, remind)

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == 1
    assert count(app, select(func.count()).select_from(Notification)) == 2  # the invitation and one reminder
    with app.app_context():
        assert db.session.scalar(select(Invitation.reminders)) == 1


def test_two_ticks_at_once_ask_nobody_twice(app):
    survey_id, _questions = published_survey(app, audience_key="all-customers")
    create_user(app, "customer", email="ticked-once@example.com")
    with app.app_context():
        invitations.invite_audience(db.session.get(Survey, survey_id))
        db.session.commit()

    outcomes = race(2, lambda _n: app.test_cli_runner().invoke(args=["tick"]))

    assert [getattr(o, "exit_code", o) for o in outcomes] == [0, 0]
    assert len([m for m in read_outbox(app) if "ticked-once@example.com" in str(m["To"])]) == 1


def test_double_clicked_publish_and_opt_out_answer_without_error(app, client):
    survey_id, _questions = published_survey(app, status="draft", audience_key="all-customers")
    create_user(app, "customer")
    log_in(client, create_user(app, "agent").email, TEST_PASSWORD)
    token = csrf_token(client)
    tabs = same_browser(client, ATTEMPTS)
    outcomes = race(
        ATTEMPTS, lambda n: tabs[n].post(f"/staff/surveys/{survey_id}/publish", data={"csrf_token": token})
    )
    assert [getattr(o, "status_code", o) for o in outcomes] == [302] * ATTEMPTS
    assert count(app, select(func.count()).select_from(Invitation)) == 1

    customer_client = app.test_client()
    log_in(customer_client, create_user(app, "customer").email, TEST_PASSWORD)
    token = csrf_token(customer_client)
    tabs = same_browser(customer_client, ATTEMPTS)
    outcomes = race(
        ATTEMPTS, lambda n: tabs[n].post("/surveys/opt-out", data={"csrf_token": token, "out": "1"})
    )
    assert [getattr(o, "status_code", o) for o in outcomes] == [302] * ATTEMPTS
