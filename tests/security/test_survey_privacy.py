"""Anonymous surveys stay anonymous: to staff, to a later account with the same id, after erasure."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select
from survey_world import published_survey

from plugins.surveys import invitations
from plugins.surveys.models import Invitation, Response, Survey
from portal.accounts.data_rights import erase_customer
from portal.accounts.models import User
from portal.database import db, utcnow
from portal.testing import TEST_PASSWORD, UserRecord, create_user, log_in, post_form

pytestmark = pytest.mark.plugins("surveys")


def invite(app: Flask, survey_id: int, customer_id: int) -> None:
    with app.app_context():
        db.session.add(
            Invitation(survey_id=survey_id, customer_id=customer_id, status="sent", sent_at=utcnow())
        )
        db.session.commit()


def signed_in(app: Flask, person: UserRecord):
    client = app.test_client()
    log_in(client, person.email, TEST_PASSWORD)
    return client


def answer(app: Flask, person: UserRecord, survey_id: int, data: dict[str, str]) -> None:
    client = signed_in(app, person)
    sent = post_form(client, f"/surveys/{survey_id}/", {**data, "action": "submit"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/thanks"), sent.get_data(
        as_text=True
    )


# --- item 7: a reused id finds nothing of the erased account ------------------------------------------
def test_an_account_given_an_erased_accounts_id_sees_none_of_its_drafts(app):
    draft_survey, (_score, reason) = published_survey(app, anonymous=True, audience_key="all-customers")
    sent_survey, (score, _reason) = published_survey(app, anonymous=True, audience_key="all-customers")
    leaving = create_user(app, "customer", email="leaving@example.com")
    client = signed_in(app, leaving)
    saved = post_form(
        client,
        f"/surveys/{draft_survey}/autosave",
        {f"q{reason}": "My private half-thought", "shown": reason},
    )
    assert saved.status_code == 200
    answer(app, leaving, sent_survey, {f"q{score}": "3"})

    with app.app_context():
        erase_customer(db.session.get(User, leaving.id))
        # Erasure removes the unsubmitted draft; the submitted anonymous answer stays, for the results.
        drafts = select(func.count()).select_from(Response).where(Response.submitted_at.is_(None))
        assert db.session.scalar(drafts) == 0
        submitted = select(func.count()).select_from(Response).where(Response.submitted_at.is_not(None))
        assert db.session.scalar(submitted) == 1
    # SQLite gives a new row the highest id again; simulate that on both databases.
    newcomer = create_user(app, "customer", id=leaving.id, email="newcomer@example.com")
    assert newcomer.id == leaving.id

    client = signed_in(app, newcomer)
    page = client.get(f"/surveys/{draft_survey}/")
    assert page.status_code == 200 and "My private half-thought" not in page.get_data(as_text=True)
    # Nor does the newcomer inherit the erased account's "already answered".
    fresh = client.get(f"/surveys/{sent_survey}/")
    assert fresh.status_code == 200 and "Send my answers" in fresh.get_data(as_text=True)


def test_erasure_removes_drafts_of_surveys_that_are_not_anonymous_too(app):
    survey_id, (_score, reason) = published_survey(app, audience_key="all-customers")
    leaving = create_user(app, "customer")
    client = signed_in(app, leaving)
    post_form(client, f"/surveys/{survey_id}/autosave", {f"q{reason}": "Draft", "shown": reason})
    with app.app_context():
        erase_customer(db.session.get(User, leaving.id))
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


# --- item 8: staff learn nothing per customer from an anonymous survey -------------------------------
def test_staff_360_page_does_not_count_anonymous_answers(app):
    anonymous, (anonymous_score, _r) = published_survey(app, anonymous=True)
    named, (named_score, _r2) = published_survey(app)
    person = create_user(app, "customer", email="answers@example.com")
    invite(app, anonymous, person.id)
    invite(app, named, person.id)
    agent = create_user(app, "agent")
    staff = signed_in(app, agent)

    answer(app, person, anonymous, {f"q{anonymous_score}": "2"})
    panel = staff.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    assert "answered 0" in panel, "answering an anonymous survey must not show on the person's page"

    answer(app, person, named, {f"q{named_score}": "8"})
    panel = staff.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    assert "answered 1" in panel
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(Invitation.survey_id, Invitation.status).where(Invitation.customer_id == person.id)
            ).all()
        )
    # The invitation row of the anonymous survey does not say whether (or when) it was answered...
    assert statuses == {anonymous: "sent", named: "answered"}
    # ...yet the customer is not asked again: the survey left their list and gets no reminder.
    mine = signed_in(app, person)
    listed = mine.get("/surveys/").get_data(as_text=True)
    assert f"/surveys/{anonymous}/" not in listed and f"/surveys/{named}/" not in listed
    tile = mine.get("/surveys/widget", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "No survey is waiting" in tile
    with app.test_request_context():
        later = utcnow().replace(year=utcnow().year + 1)
        assert invitations.send_reminders(later) == 0


def test_anonymous_free_text_answers_are_listed_in_no_time_order_and_without_dates(app):
    survey_id, (score, reason) = published_survey(app, anonymous=True)
    people = [create_user(app, "customer") for _ in range(12)]
    for number, person in enumerate(people):
        invite(app, survey_id, person.id)
        answer(app, person, survey_id, {f"q{score}": "7", f"q{reason}": f"Comment number {number:02d}"})
    staff = signed_in(app, create_user(app, "agent"))
    url = f"/staff/surveys/{survey_id}/questions/{reason}/answers"
    page = staff.get(url).get_data(as_text=True)
    shown = re.findall(r"Comment number (\d\d)", page)
    assert sorted(shown) == [f"{n:02d}" for n in range(12)]
    in_time_order = [f"{n:02d}" for n in range(12)]
    assert shown not in (in_time_order, in_time_order[::-1]), "the order must not tell who answered when"
    assert re.findall(r"Comment number (\d\d)", staff.get(url).get_data(as_text=True)) == shown  # stable
    today = utcnow().date().isoformat()
    assert today not in page

    export = staff.get(f"/staff/surveys/{survey_id}/export.csv").get_data(as_text=True)
    exported = re.findall(r"Comment number (\d\d)", export)
    assert sorted(exported) == in_time_order and exported not in (in_time_order, in_time_order[::-1])
    assert today not in export


def test_named_survey_text_answers_stay_newest_first(app):
    survey_id, (score, reason) = published_survey(app)
    for number in range(3):
        person = create_user(app, "customer")
        invite(app, survey_id, person.id)
        answer(app, person, survey_id, {f"q{score}": "7", f"q{reason}": f"Comment number {number:02d}"})
    staff = signed_in(app, create_user(app, "agent"))
    page = staff.get(f"/staff/surveys/{survey_id}/questions/{reason}/answers").get_data(as_text=True)
    assert re.findall(r"Comment number (\d\d)", page) == ["02", "01", "00"]
    with app.app_context():
        assert db.session.get(Survey, survey_id).anonymous is False
