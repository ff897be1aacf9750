"""The surveys plugin: building, inviting without nagging, answering safely, results from aggregates."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask, render_template_string
from flask_login import login_user
from sqlalchemy import func, insert, select

from plugins.surveys import answering, building, contributions, invitations, respondents
from plugins.surveys.models import Answer, Contact, Invitation, Question, Response, Survey
from plugins.tickets.events import TicketRated, TicketResolved
from portal.accounts.models import User
from portal.events import StoredEvent
from portal.plugin import DomainEvent, db, utcnow
from portal.testing import TEST_PASSWORD, link_in, log_in, post_form, read_outbox, statements_run
from portal.testing.events import emit_as_owner

pytestmark = pytest.mark.plugins("surveys")


def create_survey(app: Flask, template: str = "nps", status: str = "published", **fields: object) -> int:
    from plugins.surveys import library

    with app.test_request_context():
        survey, questions = library.build(template)
        survey.status = status
        for key, value in fields.items():
            setattr(survey, key, value)
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.commit()
        return survey.id


def add_question(app: Flask, survey_id: int, **fields: object) -> int:
    with app.app_context():
        position = db.session.scalar(select(func.count()).where(Question.survey_id == survey_id))
        question = Question(survey_id=survey_id, position=position, **fields)
        db.session.add(question)
        db.session.commit()
        return question.id


def question_ids(app: Flask, survey_id: int) -> list[int]:
    with app.app_context():
        return [q.id for q in building.questions_of(survey_id)]


def invite(app: Flask, survey_id: int, customer_id: int) -> None:
    with app.app_context():
        db.session.add(
            Invitation(survey_id=survey_id, customer_id=customer_id, status="sent", sent_at=utcnow())
        )
        db.session.commit()


def send_due(app: Flask, hours: int = 0) -> int:
    with app.test_request_context():
        sent = invitations.send_due_invitations(utcnow() + timedelta(hours=hours))
        db.session.commit()
        return sent


def events_named(app: Flask, name: str) -> list[StoredEvent]:
    with app.app_context():
        rows = db.session.scalars(select(StoredEvent).where(StoredEvent.name == name)).all()
        db.session.expunge_all()
        return list(rows)


def emit_event(app: Flask, event: DomainEvent, customer_id: int) -> int:
    with app.app_context():
        event = emit_as_owner(event, customer_id=customer_id)
        db.session.commit()
        return event.id


# --- the CSAT after a ticket, end to end -------------------------------------------------------------
def test_resolved_ticket_sends_csat_invitation_answer_shows_on_ticket(app, client, make_user, login_as):
    admin = login_as("admin")
    response = post_form(client, "/staff/surveys/new", {"template": "csat_ticket", "title": ""})
    assert response.status_code == 302
    survey_id = int(re.search(r"/staff/surveys/(\d+)/", response.headers["Location"]).group(1))
    assert post_form(client, f"/staff/surveys/{survey_id}/publish", {}).status_code == 302
    page = client.get(f"/staff/surveys/{survey_id}/").get_data(as_text=True)
    assert "Published" in page and "tickets.resolved" in page

    customer = make_user("customer", email="csat@example.com")
    emit_event(app, TicketResolved(ticket_id=41, customer_id=customer.id), customer.id)
    # Not before the delay (2 hours in the template)...
    assert send_due(app) == 0
    assert send_due(app, hours=3) == 1
    invited = events_named(app, "surveys.invited")
    assert [e.payload for e in invited] == [{"survey_id": survey_id, "customer_id": customer.id}]
    mail = [m for m in read_outbox(app) if "csat@example.com" in str(m["To"])]
    assert mail, "the invitation is emailed"
    # ...and the same event delivered again invites nobody twice.
    assert send_due(app, hours=3) == 0

    client = app.test_client()
    log_in(client, "csat@example.com", TEST_PASSWORD)
    followed = client.get(link_in(mail[-1], "/notifications/"), follow_redirects=True)
    assert followed.status_code == 200
    page = followed.get_data(as_text=True)
    assert "How satisfied are you" in page
    csat, comment = question_ids(app, survey_id)
    done = post_form(
        client,
        f"/surveys/{survey_id}/",
        {f"q{csat}": "4", f"q{comment}": "Fast and friendly", "action": "submit"},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/surveys/{survey_id}/thanks")
    assert "Thank you" in client.get(done.headers["Location"]).get_data(as_text=True)
    completed = events_named(app, "surveys.completed")
    assert len(completed) == 1 and completed[0].customer_id == customer.id

    with app.test_request_context():
        login_user(db.session.get(User, admin.id))
        html = render_template_string(
            '{{ slot("tickets.staff_details", ticket_id=41, customer_id=cid) }}', cid=customer.id
        )
        assert "4 out of 5" in html and "Fast and friendly" in html
        other = render_template_string(
            '{{ slot("tickets.staff_details", ticket_id=42) }}',
        )
        assert "out of 5" not in other


def test_rated_ticket_counts_as_asked_and_handlers_are_idempotent(app, make_user):
    create_survey(app, "csat_ticket", trigger_delay_hours=0)
    rater = make_user("customer")
    other = make_user("customer")
    rated = emit_event(app, TicketRated(ticket_id=7, customer_id=rater.id, rating=5, comment=""), rater.id)
    emit_event(app, TicketResolved(ticket_id=7, customer_id=rater.id), rater.id)
    emit_event(app, TicketResolved(ticket_id=8, customer_id=other.id), other.id)
    with app.app_context():
        # The same events delivered again record nothing twice.
        for stored in db.session.scalars(select(StoredEvent)).all():
            contributions.handle_event(stored.as_event())
        db.session.commit()
        assert (
            db.session.scalar(select(func.count()).select_from(Contact).where(Contact.event_id == rated)) == 1
        )
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 2
    assert send_due(app, hours=1) == 1
    with app.app_context():
        statuses = dict(db.session.execute(select(Invitation.customer_id, Invitation.status)).all())
    assert statuses == {rater.id: "skipped", other.id: "sent"}
    # The waiting period: another survey for the one just asked is held back.
    second = create_survey(app, "nps", audience_key="all-customers")
    with app.app_context():
        invitations.invite_audience(db.session.get(Survey, second))
        db.session.commit()
    assert send_due(app) == 0
    with app.app_context():
        set_to = {"wait_days_override": 0}
        db.session.get(Survey, second).wait_days_override = set_to["wait_days_override"]
        db.session.execute(
            Invitation.__table__.update().values(status="pending").where(Invitation.survey_id == second)
        )
        db.session.commit()
    assert send_due(app) == 2


def test_audience_opt_out_and_reminders(app, client, make_user, login_as):
    make_user("agent")
    keen = make_user("customer")
    customer = login_as("customer")
    response = post_form(client, "/surveys/opt-out", {"out": "1"})
    assert response.status_code == 302
    assert "You have opted out" in client.get("/surveys/").get_data(as_text=True)
    survey_id = create_survey(app, "nps", audience_key="all-customers")
    with app.app_context():
        # Staff are never an audience.
        assert invitations.invite_audience(db.session.get(Survey, survey_id)) == 2
        assert invitations.invite_audience(db.session.get(Survey, survey_id)) == 0  # nobody twice
        db.session.commit()
    assert send_due(app) == 1
    with app.app_context():
        statuses = dict(db.session.execute(select(Invitation.customer_id, Invitation.status)).all())
    assert statuses == {keen.id: "sent", customer.id: "skipped"}
    # Reminders stop after the set number (1 by default).
    with app.test_request_context():
        later = utcnow() + timedelta(days=4)
        assert invitations.send_reminders(later) == 1
        assert invitations.send_reminders(later + timedelta(days=4)) == 0
        db.session.commit()


# --- answering --------------------------------------------------------------------------------------
def test_bad_answers_are_refused_and_nothing_wrong_is_saved(app, client, login_as):
    survey_id = create_survey(app, "nps")
    choice = add_question(
        app, survey_id, kind="single", text="Which branch?", options="North\nSouth", required=False
    )
    short = add_question(app, survey_id, kind="short_text", text="One word", required=False)
    customer = login_as("customer")
    invite(app, survey_id, customer.id)
    nps, reason = question_ids(app, survey_id)[:2]
    url = f"/surveys/{survey_id}/"
    for data, message in [
        ({f"q{nps}": "11"}, "from 0 to 10"),
        ({f"q{nps}": "ten"}, "one of the answers"),
        ({f"q{nps}": "5", f"q{choice}": "7"}, "one of the answers"),
        ({f"q{nps}": "5", f"q{short}": "x" * 201}, "200 characters"),
        ({f"q{nps}": "5", f"q{reason}": "x" * 2001}, "2,000 characters"),
    ]:
        response = post_form(client, url, {**data, "action": "submit"})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    with app.app_context():
        values = db.session.execute(select(Answer.question_id, Answer.value, Answer.text)).all()
        assert all(v is None or 0 <= v <= 10 for _q, v, _t in values)
        assert all(t is None or len(t) <= 200 for _q, _v, t in values)
        assert (
            db.session.scalar(
                select(func.count()).select_from(Response).where(Response.submitted_at.is_not(None))
            )
            == 0
        )
    # Required questions must be answered.
    fresh = create_survey(app, "nps")
    invite(app, fresh, customer.id)
    missing = post_form(client, f"/surveys/{fresh}/", {"action": "submit"})
    assert missing.status_code == 422 and "Please answer this question." in missing.get_data(as_text=True)


def test_save_as_you_go_and_double_submission(app, client, login_as):
    survey_id = create_survey(app, "nps", one_per_page=True)
    customer = login_as("customer")
    invite(app, survey_id, customer.id)
    nps, reason = question_ids(app, survey_id)
    first = client.get(f"/surveys/{survey_id}/").get_data(as_text=True)
    assert "Question 1 of 2" in first
    moved = post_form(client, f"/surveys/{survey_id}/?step=0", {f"q{nps}": "9", "action": "next"})
    assert moved.headers["Location"].endswith("step=1")
    # Typed text is saved as it goes (htmx autosave), so closing the page loses nothing.
    saved = post_form(
        client, f"/surveys/{survey_id}/autosave", {f"q{reason}": "Half a thought", "shown": reason}
    )
    assert saved.status_code == 200 and "Saved" in saved.get_data(as_text=True)
    page = client.get(f"/surveys/{survey_id}/?step=1").get_data(as_text=True)
    assert "Question 2 of 2" in page and "Half a thought" in page
    back = client.get(f"/surveys/{survey_id}/?step=0").get_data(as_text=True)
    assert 'value="9" checked' in back
    for _ in range(2):
        done = post_form(client, f"/surveys/{survey_id}/?step=1", {f"q{reason}": "Done", "action": "submit"})
        assert done.status_code == 302 and "thanks" in done.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert len(events_named(app, "surveys.completed")) == 1
    # The last keystrokes' autosave can reach the server after the answers were sent: the browser
    # is told so quietly (no error in its console), and the sent answers stay as they were.
    late = post_form(client, f"/surveys/{survey_id}/autosave", {f"q{reason}": "Changed", "shown": reason})
    assert late.status_code == 200 and "Your answers were already sent." in late.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Answer.text).where(Answer.question_id == reason)).all() == ["Done"]
    # A second response row for the same customer is refused by the database itself.
    with app.app_context():
        db.session.add(
            Response(survey_id=survey_id, respondent=respondents.respondent_key(survey_id, customer.id))
        )
        with pytest.raises(Exception):  # noqa: B017 (IntegrityError, wrapped differently per backend)
            db.session.commit()
        db.session.rollback()


def test_closed_draft_and_others_surveys_are_refused(app, client, make_user, login_as):
    draft = create_survey(app, "nps", status="draft")
    closed = create_survey(app, "nps", status="closed")
    later = create_survey(app, "nps", opens_at=utcnow() + timedelta(days=3))
    not_mine = create_survey(app, "nps")
    stranger = make_user("customer")
    invite(app, not_mine, stranger.id)
    customer = login_as("customer")
    for survey_id in (draft, closed, later):
        invite(app, survey_id, customer.id)
    assert client.get(f"/surveys/{draft}/").status_code == 404
    refused = client.get(f"/surveys/{closed}/")
    assert refused.status_code == 410 and "closed" in refused.get_data(as_text=True)
    assert client.get(f"/surveys/{later}/").status_code == 410
    assert client.get(f"/surveys/{not_mine}/").status_code == 404
    nps = question_ids(app, not_mine)[0]
    assert post_form(client, f"/surveys/{not_mine}/", {f"q{nps}": "1", "action": "submit"}).status_code == 404
    assert client.get(f"/surveys/{not_mine}/thanks").status_code == 404
    assert client.get("/surveys/invitation/forged-token").status_code == 404
    with app.test_request_context():
        other_invitation = db.session.scalar(
            select(Invitation.id).where(Invitation.customer_id == stranger.id)
        )
        token = invitations.invitation_token(other_invitation)
    assert client.get(f"/surveys/invitation/{token}").status_code == 404
    assert client.get("/staff/surveys/").status_code == 403


def test_anonymous_survey_leaks_no_identity(app, client, make_user, login_as):
    survey_id = create_survey(app, "csat_ticket", anonymous=True)
    customer = login_as("customer", email="secret-person@example.com")
    with app.app_context():
        db.session.add(
            Invitation(survey_id=survey_id, customer_id=customer.id, status="sent", subject="ticket:5")
        )
        db.session.commit()
    csat, comment = question_ids(app, survey_id)
    post_form(client, f"/surveys/{survey_id}/", {f"q{csat}": "2", f"q{comment}": "Slow", "action": "submit"})
    completed = events_named(app, "surveys.completed")
    with app.app_context():
        row = db.session.scalars(select(Response)).one()
        assert row.customer_id is None and row.subject is None
        assert [(e.payload, e.customer_id) for e in completed] == [
            ({"survey_id": survey_id, "response_id": row.id, "customer_id": None, "nps_score": None}, None)
        ]
    admin = make_user("admin")
    client2 = app.test_client()
    log_in(client2, admin.email, TEST_PASSWORD)
    csv_text = client2.get(f"/staff/surveys/{survey_id}/export.csv").get_data(as_text=True)
    assert "secret-person" not in csv_text and "customer" not in csv_text.splitlines()[0]
    assert "Slow" in csv_text
    results = client2.get(f"/staff/surveys/{survey_id}/results").get_data(as_text=True)
    assert "secret-person" not in results and "Anonymous survey" in results
    with app.test_request_context():
        login_user(db.session.get(User, admin.id))
        html = render_template_string(
            '{{ slot("tickets.staff_details", ticket_id=5) }}',
        )
        assert "out of 5" not in html


# --- staff builder and results -----------------------------------------------------------------------
def test_builder_edits_questions_and_validates(app, client, login_as):
    login_as("agent")
    response = post_form(client, "/staff/surveys/new", {"template": "blank", "title": "Branch visit"})
    survey_id = int(re.search(r"/staff/surveys/(\d+)/", response.headers["Location"]).group(1))
    refused = post_form(client, f"/staff/surveys/{survey_id}/publish", {}, follow_redirects=True)
    assert "Add a question before publishing." in refused.get_data(as_text=True)
    bad = post_form(
        client,
        f"/staff/surveys/{survey_id}/questions",
        {"kind": "single", "text": "Which?", "options": "Only"},
    )
    assert bad.status_code == 422 and "at least two choices" in bad.get_data(as_text=True)
    too_long = post_form(
        client, f"/staff/surveys/{survey_id}/questions", {"kind": "yesno", "text": "x" * 501}
    )
    assert too_long.status_code == 422
    for text in ("First?", "Second?"):
        ok = post_form(
            client, f"/staff/surveys/{survey_id}/questions", {"kind": "yesno", "text": text, "required": "y"}
        )
        assert ok.status_code == 302
    first, second = question_ids(app, survey_id)
    post_form(client, f"/staff/surveys/{survey_id}/questions/{second}/up", {})
    assert question_ids(app, survey_id) == [second, first]
    settings = post_form(
        client,
        f"/staff/surveys/{survey_id}/",
        {"title": "Branch visit", "audience_key": "no-such-segment", "trigger_delay_hours": "0"},
    )
    assert settings.status_code == 422 and "choose an audience" in settings.get_data(as_text=True)
    ok = post_form(
        client,
        f"/staff/surveys/{survey_id}/",
        {
            "title": "Branch visit",
            "audience_key": "all-customers",
            "trigger_delay_hours": "0",
            "anonymous": "y",
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.anonymous and survey.audience_key == "all-customers"


def test_builder_speaks_in_words_and_offers_declared_events(app, client, login_as):
    login_as("agent")
    response = post_form(client, "/staff/surveys/new", {"template": "blank", "title": "Branch visit"})
    survey_id = int(re.search(r"/staff/surveys/(\d+)/", response.headers["Location"]).group(1))
    for kind, text, required in (("single", "Which branch?", "y"), ("yesno", "Found it?", "y")):
        post_form(
            client,
            f"/staff/surveys/{survey_id}/questions",
            {"kind": kind, "text": text, "options": "North\nSouth", "required": required},
        )
    post_form(
        client, f"/staff/surveys/{survey_id}/questions", {"kind": "long_text", "text": "Anything else?"}
    )
    first, _middle, last = question_ids(app, survey_id)
    html = client.get(f"/staff/surveys/{survey_id}/").get_data(as_text=True)
    assert "One choice" in html and "Yes or no" in html and "Long answer, optional" in html
    assert not re.search(r"\((single|yesno|long_text)", html), "no internal names of question types"
    assert f"/questions/{first}/up" not in html and f"/questions/{last}/down" not in html
    assert f"/questions/{first}/down" in html and f"/questions/{last}/up" in html

    trigger = re.search(r'<select[^>]*name="trigger_event".*?</select>', html, re.S)
    assert trigger, "the trigger event is chosen from a list"
    assert re.search(
        r'<optgroup label="tickets">.*?<option value="tickets.resolved">', trigger.group(0), re.S
    )
    assert '<option value="tickets.resolved">A ticket was resolved</option>' in trigger.group(0)
    assert "Staff marked a ticket resolved" not in trigger.group(0), "the label, not the docstring"
    settings = {"title": "Branch visit", "audience_key": "", "trigger_delay_hours": "2"}
    unknown = post_form(
        client, f"/staff/surveys/{survey_id}/", {**settings, "trigger_event": "tickets.exploded"}
    )
    assert unknown.status_code == 422
    assert "Choose an event from the list." in unknown.get_data(as_text=True)
    chosen = post_form(
        client, f"/staff/surveys/{survey_id}/", {**settings, "trigger_event": "tickets.resolved"}
    )
    assert chosen.status_code == 302
    with app.app_context():
        assert db.session.get(Survey, survey_id).trigger_event == "tickets.resolved"


def seed_responses(app: Flask, survey_id: int, count: int) -> None:
    """Bulk-insert ``count`` submitted responses with an NPS score and a comment each."""
    nps, reason = question_ids(app, survey_id)[:2]
    now = utcnow()
    with app.app_context():
        db.session.execute(
            insert(Response),
            [
                {
                    "survey_id": survey_id,
                    "respondent": f"seed-{i}",
                    "submitted_at": now - timedelta(days=i % 10),
                }
                for i in range(count)
            ],
        )
        ids = db.session.scalars(
            select(Response.id).where(Response.survey_id == survey_id).order_by(Response.id)
        ).all()
        db.session.execute(
            insert(Answer),
            [{"response_id": rid, "question_id": nps, "value": i % 11} for i, rid in enumerate(ids)],
        )
        db.session.execute(
            insert(Answer),
            [{"response_id": rid, "question_id": reason, "text": f"Reason {i}"} for i, rid in enumerate(ids)],
        )
        db.session.commit()


def test_results_come_from_aggregate_queries(app, client, login_as):
    survey_id = create_survey(app, "nps")
    seed_responses(app, survey_id, 2200)
    login_as("agent")
    with statements_run(app) as statements:
        page = client.get(f"/staff/surveys/{survey_id}/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Responses: 2,200" in html
    # Scores 0..10 evenly: 2 of 11 promoters, 7 of 11 detractors → NPS -45.
    assert "NPS: -45" in html and "Promoters: 18%" in html and "Detractors: 64%" in html
    assert "<svg" in html and "<table" in html
    survey_statements = [s for s in statements if "surveys_" in s]
    assert len(statements) <= 25, statements
    assert any("GROUP BY" in s.upper() for s in survey_statements)
    # No statement loads the answers row by row: every read of surveys_answers aggregates.
    for statement in survey_statements:
        if "FROM surveys_answers" in statement:
            assert "count(" in statement.lower(), statement
    texts = client.get(f"/staff/surveys/{survey_id}/questions/{question_ids(app, survey_id)[1]}/answers")
    assert "Reason 2199" in texts.get_data(as_text=True) and "More answers" in texts.get_data(as_text=True)
    filtered = client.get(f"/staff/surveys/{survey_id}/results?start=2000-01-01&end=2000-01-02")
    assert "Responses: 0" in filtered.get_data(as_text=True)
    assert client.get(f"/staff/surveys/{survey_id}/results?start=nonsense").status_code == 400


def test_results_page_query_budget_does_not_grow(app, client, login_as):
    survey_id = create_survey(app, "acsi")
    login_as("admin")
    with statements_run(app) as few:
        client.get(f"/staff/surveys/{survey_id}/results")
    with app.app_context():
        ids = question_ids(app, survey_id)
        db.session.execute(
            insert(Response),
            [{"survey_id": survey_id, "respondent": f"r{i}", "submitted_at": utcnow()} for i in range(300)],
        )
        rids = db.session.scalars(select(Response.id)).all()
        db.session.execute(
            insert(Answer), [{"response_id": r, "question_id": q, "value": 5} for r in rids for q in ids]
        )
        db.session.commit()
    with statements_run(app) as many:
        page = client.get(f"/staff/surveys/{survey_id}/results")
    assert "Average: 5.00" in page.get_data(as_text=True)
    assert len(many) == len(few)


def test_export_names_the_customer_when_not_anonymous(app, client, make_user, login_as):
    survey_id = create_survey(app, "nps")
    customer = make_user("customer", email="named@example.com")
    invite(app, survey_id, customer.id)
    with app.test_request_context():
        response = answering.get_or_start_response(db.session.get(Survey, survey_id), customer.id)
        answering.save_answers(
            response, building.questions_of(survey_id), {f"q{question_ids(app, survey_id)[0]}": ["=1+2"]}
        )
        db.session.commit()
    login_as("agent")
    # "=1+2" is not a number, so nothing was saved: add a real answer and submit.
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        db.session.add(
            Answer(response_id=response.id, question_id=question_ids(app, survey_id)[1], text="=HYPERLINK()")
        )
        response.submitted_at = utcnow()
        db.session.commit()
    text = client.get(f"/staff/surveys/{survey_id}/export.csv").get_data(as_text=True)
    assert "named@example.com" in text and "'=HYPERLINK()" in text


def test_demo_panel_export_and_erase(app, client, make_user, login_as):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Survey).where(Survey.template == "nps")) == 1
        )
        nps = db.session.scalar(select(Survey.id).where(Survey.template == "nps"))
        person = db.session.scalar(
            select(Response.customer_id).where(Response.customer_id.is_not(None)).limit(1)
        )
    login_as("agent")
    results = client.get(f"/staff/surveys/{nps}/results").get_data(as_text=True)
    assert "NPS:" in results and "Responses: 0" not in results
    panel = client.get(f"/staff/customers/{person}").get_data(as_text=True)
    assert "panel-surveys-activity" in panel and "answered 1" in panel
    with app.app_context():
        user = db.session.get(User, person)
        exported = contributions.export_customer_data(user)
        assert exported and exported["answers"]
        contributions.erase_customer_data(user)
        db.session.commit()
        assert (
            db.session.scalar(
                select(func.count()).select_from(Response).where(Response.customer_id == person)
            )
            == 0
        )


def test_portal_tick_sends_due_invitations_outside_any_request(app, make_user):
    survey_id = create_survey(app, "nps", audience_key="all-customers")
    customer = make_user("customer", email="ticked@example.com")
    with app.app_context():
        invitations.invite_audience(db.session.get(Survey, survey_id))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        status = db.session.scalar(select(Invitation.status).where(Invitation.customer_id == customer.id))
    assert status == "sent"
    assert any("ticked@example.com" in str(m["To"]) for m in read_outbox(app))


def test_dashboard_tile_counts_waiting_surveys(app, client, login_as):
    survey_id = create_survey(app, "nps")
    customer = login_as("customer")
    assert "No survey is waiting" in client.get("/surveys/widget").get_data(as_text=True)
    invite(app, survey_id, customer.id)
    tile = client.get("/surveys/widget", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "1 survey is waiting for you." in tile and "<html" not in tile
    assert "/surveys/widget" in client.get("/dashboard").get_data(as_text=True)


# --- extremes in links: an answer and a message, never a 500 ------------------------------------------
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("end=9999-12-31", "Please choose a date from 1970-01-01 to 2999-12-31."),
        ("start=0001-01-01", "Please choose a date from 1970-01-01 to 2999-12-31."),
        ("start=2026-02-31", "That day is not in the calendar. Enter the date as year-month-day"),
        ("end=2026-01-011", "Enter the date as year-month-day, for example "),
        ("start=nonsense", "Enter the date as year-month-day, for example "),
        ("start=2026-05-01&end=2026-04-01", "The start date must not be after the end date."),
    ],
)
def test_results_refuse_dates_out_of_range_with_a_message(app, client, login_as, query, message):
    survey_id = create_survey(app, "nps")
    login_as("agent")
    page = client.get(f"/staff/surveys/{survey_id}/results?{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert message in html
    # What was typed stays in the filter, to be corrected.
    typed = query.split("&")[0].split("=")[1]
    assert f'value="{typed}"' in html
    assert "Responses:" not in html, "no figures are shown for a filter that could not be applied"


def test_results_accept_the_last_day_of_the_range(app, client, login_as):
    survey_id = create_survey(app, "nps")
    login_as("agent")
    page = client.get(f"/staff/surveys/{survey_id}/results?start=1970-01-01&end=2999-12-31")
    assert page.status_code == 200 and "Responses: 0" in page.get_data(as_text=True)


def test_a_survey_number_too_big_for_the_database_is_not_found(app, client, login_as):
    login_as("customer")
    assert client.get("/surveys/99999999999999999999999/").status_code == 404
    assert client.get("/surveys/2147483648/").status_code == 404


def test_multiple_choice_share_counts_respondents_not_ticks(app, client, login_as):
    survey_id = create_survey(app, "blank", title="Channels")
    question = add_question(
        app, survey_id, kind="multiple", text="How do you reach us?", options="Phone\nEmail\nChat"
    )
    with app.app_context():
        db.session.execute(
            insert(Response),
            [{"survey_id": survey_id, "respondent": f"r{i}", "submitted_at": utcnow()} for i in range(2)],
        )
        first, second = db.session.scalars(select(Response.id).where(Response.survey_id == survey_id)).all()
        # One respondent ticks Phone and Email, the other only Phone.
        db.session.execute(
            insert(Answer),
            [
                {"response_id": first, "question_id": question, "value": 0, "slot": 0},
                {"response_id": first, "question_id": question, "value": 1, "slot": 1},
                {"response_id": second, "question_id": question, "value": 0, "slot": 0},
            ],
        )
        db.session.commit()
    login_as("agent")
    html = client.get(f"/staff/surveys/{survey_id}/results").get_data(as_text=True)
    rows = {
        label: share
        for label, share in re.findall(r"<tr><td>(\w+)</td><td>\d+</td><td>(\d+)%</td></tr>", html)
    }
    # Both respondents chose Phone, one of the two chose Email, nobody chose Chat.
    assert rows == {"Phone": "100", "Email": "50", "Chat": "0"}


def test_opening_and_closing_times_are_read_on_the_agents_clock(app, client, login_as):
    """An agent in Tehran who opens a survey at 10:00 means 10:00 in Tehran (06:30 UTC), and sees 10:00
    again when the settings page comes back, not the UTC instant."""
    login_as("agent", timezone="Asia/Tehran", calendar="gregorian")
    survey_id = create_survey(app, "nps", status="draft")
    saved = post_form(
        client,
        f"/staff/surveys/{survey_id}/",
        {
            "title": "Branch visit",
            "audience_key": "all-customers",
            "trigger_delay_hours": "0",
            "opens_at": "2027-01-10T10:00",
            "closes_at": "2027-01-20T18:00",
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.opens_at.isoformat() == "2027-01-10T06:30:00"
        assert survey.closes_at.isoformat() == "2027-01-20T14:30:00"
    page = client.get(f"/staff/surveys/{survey_id}/").get_data(as_text=True)
    assert 'value="2027-01-10T10:00"' in page and 'value="2027-01-20T18:00"' in page
