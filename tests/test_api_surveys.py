"""The surveys API as an integrator meets it: what a customer is offered, answering once, staff results.

Runs on SQLite and, with PORTAL_TEST_DATABASE_URL set, on PostgreSQL; the raced requests each have
their own connection (portal.testing.races).
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugins.surveys import results
from plugins.surveys.models import Answer, Invitation, Question, Response, Survey
from portal.audit import AuditEvent
from portal.database import db, utcnow
from portal.testing import TEST_PASSWORD, api_token, create_user, log_in, post_form
from portal.testing.races import race

pytestmark = pytest.mark.plugins("surveys")

ATTEMPTS = 8


def bearer(app: Flask, user_id: int, *scopes: str) -> dict[str, str]:
    return {"Authorization": api_token(app, user_id, *scopes)}


def make_survey(app: Flask, *, status: str = "published", anonymous: bool = False) -> tuple[int, dict]:
    """A survey asking a score (required), a colour (one of two) and a short comment (required)."""
    with app.app_context():
        survey = Survey(title="How are we doing?", status=status, anonymous=anonymous)
        db.session.add(survey)
        db.session.flush()
        questions = {
            "score": Question(survey_id=survey.id, position=0, kind="nps", text="Recommend us?"),
            "colour": Question(
                survey_id=survey.id,
                position=1,
                kind="single",
                text="Colour?",
                options="Red\nGreen",
                required=False,
            ),
            "comment": Question(survey_id=survey.id, position=2, kind="short_text", text="Why?"),
        }
        db.session.add_all(questions.values())
        db.session.commit()
        return survey.id, {name: question.id for name, question in questions.items()}


def invite(app: Flask, survey_id: int, customer_id: int) -> None:
    with app.app_context():
        db.session.add(
            Invitation(survey_id=survey_id, customer_id=customer_id, status="sent", sent_at=utcnow())
        )
        db.session.commit()


def answers(ids: dict, score: int = 9, colour: int | None = 1, comment: str = "Quick") -> dict:
    return {"answers": {str(ids["score"]): score, str(ids["colour"]): colour, str(ids["comment"]): comment}}


def responses(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response)) or 0


def test_a_customer_lists_only_the_surveys_open_to_them(app: Flask) -> None:
    customer, agent = create_user(app), create_user(app, "agent")
    waiting, _ids = make_survey(app)
    not_invited, _ids = make_survey(app)
    closed, _ids = make_survey(app, status="closed")
    answered, answered_ids = make_survey(app, anonymous=True)
    for survey_id in (waiting, closed, answered):
        invite(app, survey_id, customer.id)
    headers = bearer(app, customer.id, "surveys:write")
    client = app.test_client()
    sent = client.post(f"/api/v1/surveys/{answered}/responses", json=answers(answered_ids), headers=headers)
    assert sent.status_code == 201, sent.get_data(as_text=True)

    listed = client.get("/api/v1/surveys/", headers=headers).json
    assert [each["id"] for each in listed["items"]] == [waiting]
    assert client.get(f"/api/v1/surveys/{not_invited}", headers=headers).status_code == 404
    detail = client.get(f"/api/v1/surveys/{waiting}", headers=headers).json
    assert [(q["kind"], q["options"], q["required"]) for q in detail["questions"]] == [
        ("nps", [], True),
        ("single", ["Red", "Green"], False),
        ("short_text", [], True),
    ]
    assert detail["questions"][0]["minimum"] == 0 and detail["questions"][0]["maximum"] == 10
    staff = client.get("/api/v1/surveys/", headers=bearer(app, agent.id, "surveys:read")).json
    assert {(each["id"], each["status"]) for each in staff["items"]} == {
        (waiting, "published"),
        (not_invited, "published"),
        (closed, "closed"),
        (answered, "published"),
    }


def test_an_api_answer_counts_in_the_results_exactly_like_a_page_submission(app: Flask) -> None:
    survey_id, ids = make_survey(app)
    by_api, by_page, agent = create_user(app), create_user(app), create_user(app, "agent")
    invite(app, survey_id, by_api.id)
    invite(app, survey_id, by_page.id)
    client = app.test_client()
    sent = client.post(
        f"/api/v1/surveys/{survey_id}/responses",
        json=answers(ids, score=9, colour=1, comment="Quick"),
        headers=bearer(app, by_api.id, "surveys:write"),
    )
    assert sent.status_code == 201, sent.get_data(as_text=True)
    assert sent.json["customer_id"] == by_api.id
    assert sent.json["answers"] == {str(ids["score"]): 9, str(ids["colour"]): 1, str(ids["comment"]): "Quick"}
    page = app.test_client()
    log_in(page, by_page.email, TEST_PASSWORD)
    form = {
        f"q{ids['score']}": "9",
        f"q{ids['colour']}": "1",
        f"q{ids['comment']}": "Quick",
        "action": "submit",
    }
    assert post_form(page, f"/surveys/{survey_id}/", form).status_code == 302

    with app.app_context():
        stored = db.session.execute(
            select(Response.customer_id, Answer.question_id, Answer.value, Answer.text, Answer.slot)
            .join(Answer, Answer.response_id == Response.id)
            .where(Response.submitted_at.is_not(None))
        ).all()
        mine = sorted(row[1:] for row in stored if row[0] == by_api.id)
        assert mine and mine == sorted(row[1:] for row in stored if row[0] == by_page.id)
        invitations = db.session.scalars(select(Invitation.status)).all()
        assert invitations == ["answered", "answered"]
    staff = bearer(app, agent.id, "surveys:read")
    figures = client.get(f"/api/v1/surveys/{survey_id}/results", headers=staff).json
    assert figures["responses"] == 2 and figures["rate"] == 100
    score = figures["questions"][0]
    assert score["question_id"] == ids["score"] and score["nps"]["score"] == 100 and score["average"] == 9
    assert {bar["value"]: bar["count"] for bar in score["bars"]}[9] == 2
    colour = figures["questions"][1]
    assert [(bar["label"], bar["count"]) for bar in colour["bars"]] == [("Red", 0), ("Green", 2)]
    with app.test_request_context():
        page_figures = results.results(db.session.get(Survey, survey_id))
        assert page_figures["responses"] == figures["responses"]
    listed = client.get(f"/api/v1/surveys/{survey_id}/responses", headers=staff).json
    assert sorted(each["customer_id"] for each in listed["items"]) == sorted([by_api.id, by_page.id])


def test_a_second_submission_is_refused_and_changes_nothing(app: Flask) -> None:
    survey_id, ids = make_survey(app)
    customer = create_user(app)
    invite(app, survey_id, customer.id)
    headers = bearer(app, customer.id, "surveys:write")
    client = app.test_client()
    url = f"/api/v1/surveys/{survey_id}/responses"
    assert client.post(url, json=answers(ids, score=3), headers=headers).status_code == 201
    again = client.post(url, json=answers(ids, score=10, comment="Changed my mind"), headers=headers)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert client.post(url, json=answers(ids, score=3), headers=headers).status_code == 409
    with app.app_context():
        assert db.session.scalars(select(Answer.value).where(Answer.question_id == ids["score"])).all() == [3]
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_a_keyed_retry_of_the_same_answers_answers_the_first_response(app: Flask) -> None:
    survey_id, ids = make_survey(app)
    customer = create_user(app)
    invite(app, survey_id, customer.id)
    keyed = {**bearer(app, customer.id, "surveys:write"), "Idempotency-Key": "survey-7"}
    client = app.test_client()
    url = f"/api/v1/surveys/{survey_id}/responses"
    first = client.post(url, json=answers(ids), headers=keyed)
    retry = client.post(url, json=answers(ids), headers=keyed)
    assert first.status_code == retry.status_code == 201
    assert first.json == retry.json
    changed = client.post(url, json=answers(ids, score=2), headers=keyed)
    assert changed.status_code == 409, "a key does not make different answers a retry"
    assert responses(app) == 1


@pytest.mark.parametrize(
    ("change", "question", "message"),
    [
        ({"comment": None}, "comment", "Please answer this question."),
        ({"colour": 2}, "colour", "Please choose one of the answers offered."),
        ({"comment": "x" * 201}, "comment", "Please keep your answer to 200 characters."),
        ({"score": 11}, "score", "Please choose a number from 0 to 10."),
        ({"score": "nine"}, "score", "Give a whole number."),
    ],
)
def test_invalid_answers_are_a_422_naming_the_question(
    app: Flask, change: dict, question: str, message: str
) -> None:
    survey_id, ids = make_survey(app)
    customer = create_user(app)
    invite(app, survey_id, customer.id)
    body = answers(ids)
    body["answers"].update({str(ids[name]): value for name, value in change.items()})
    refused = app.test_client().post(
        f"/api/v1/surveys/{survey_id}/responses", json=body, headers=bearer(app, customer.id, "surveys:write")
    )
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert refused.json["errors"]["json"]["answers"] == {str(ids[question]): [message]}
    assert responses(app) == 0


def test_an_unknown_question_is_refused(app: Flask) -> None:
    survey_id, ids = make_survey(app)
    customer = create_user(app)
    invite(app, survey_id, customer.id)
    body = answers(ids)
    body["answers"]["999999"] = 1
    refused = app.test_client().post(
        f"/api/v1/surveys/{survey_id}/responses", json=body, headers=bearer(app, customer.id, "surveys:write")
    )
    assert refused.status_code == 422
    assert list(refused.json["errors"]["json"]["answers"]) == ["999999"]


def test_a_customer_token_reads_neither_results_nor_responses(app: Flask) -> None:
    survey_id, _ids = make_survey(app)
    customer = create_user(app)
    invite(app, survey_id, customer.id)
    headers = bearer(app, customer.id, "surveys:write")
    client = app.test_client()
    for path in ("results", "responses"):
        refused = client.get(f"/api/v1/surveys/{survey_id}/{path}", headers=headers)
        assert refused.status_code == 403, path


def test_an_anonymous_surveys_responses_name_nobody(app: Flask) -> None:
    survey_id, ids = make_survey(app, anonymous=True)
    customer, agent = create_user(app), create_user(app, "agent")
    invite(app, survey_id, customer.id)
    client = app.test_client()
    sent = client.post(
        f"/api/v1/surveys/{survey_id}/responses",
        json=answers(ids),
        headers=bearer(app, customer.id, "surveys:write"),
    )
    assert sent.status_code == 201
    with app.app_context():
        audited = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "api_request")).all()
        assert [each.detail["path"] for each in audited if each.actor_id == customer.id] == [], (
            "the audit log would tell staff who answered the anonymous survey, and when"
        )
    staff = bearer(app, agent.id, "surveys:read")
    listed = client.get(f"/api/v1/surveys/{survey_id}/responses", headers=staff).json
    assert len(listed["items"]) == 1
    item = listed["items"][0]
    assert item["customer_id"] is None and item["id"] is None and item["submitted_at"] is None
    assert item["answers"][str(ids["comment"])] == "Quick"
    assert set(item) == {"id", "survey_id", "customer_id", "subject", "submitted_at", "answers"}
    by_time = client.get(
        f"/api/v1/surveys/{survey_id}/responses",
        query_string={"updated_since": "2020-01-01T00:00:00Z"},
        headers=staff,
    )
    assert by_time.status_code == 422
    by_segment = client.get(
        f"/api/v1/surveys/{survey_id}/results", query_string={"segment": "all-customers"}, headers=staff
    )
    assert by_segment.status_code == 422


def test_simultaneous_submissions_by_one_customer_store_one_response(app: Flask) -> None:
    survey_id, ids = make_survey(app)
    customer = create_user(app)
    invite(app, survey_id, customer.id)
    headers = bearer(app, customer.id, "surveys:write")

    def attempt(number: int) -> int:
        body = answers(ids, score=number % 11)
        return (
            app.test_client()
            .post(f"/api/v1/surveys/{survey_id}/responses", json=body, headers=headers)
            .status_code
        )

    outcomes = race(ATTEMPTS, attempt)
    assert not [each for each in outcomes if isinstance(each, BaseException)], outcomes
    assert sorted(outcomes) == [201] + [409] * (ATTEMPTS - 1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        assert db.session.scalar(select(func.count()).where(Answer.question_id == ids["score"])) == 1
