"""Staff-written content in the plugins: each customer reads it in their language, else the default one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugins.documents.models import Document, Version
from plugins.loyalty.models import Reward
from plugins.loyalty.tiers import tier_by_code
from plugins.surveys import invitations, library
from plugins.surveys.models import Answer, Invitation, Question, Survey
from plugins.tickets.models import CannedReply, Message, Ticket
from portal.content_languages import missing_languages
from portal.notifications.models import Notification
from portal.plugin import db, set_setting, set_translations, utcnow
from portal.testing import TEST_PASSWORD, log_in, post_form


def reader(app: Flask, make_user, language: str):
    """A customer reading in ``language``, signed in on a client of their own."""
    user = make_user("customer", language=language)
    client = app.test_client()
    log_in(client, user.email, TEST_PASSWORD)
    return user, client


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# --- surveys ---------------------------------------------------------------------------------------------


def published_survey(app: Flask) -> tuple[int, int, int]:
    """A ready-made NPS survey (born translated), a choice question translated by staff, one not."""
    with app.app_context():
        survey, questions = library.build("nps")
        survey.status = "published"
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        branch = Question(
            survey_id=survey.id, position=5, kind="single", text="Which branch?", options="North\nSouth"
        )
        set_translations(branch, {"fa": {"text": "کدام شعبه؟", "options": "شمال\nجنوب"}})
        plain = Question(survey_id=survey.id, position=6, kind="short_text", text="One word", required=False)
        db.session.add_all([branch, plain])
        db.session.commit()
        return survey.id, branch.id, plain.id


@pytest.mark.plugins("surveys")
def test_survey_is_answered_in_the_customers_language(app, make_user):
    survey_id, branch_id, _plain_id = published_survey(app)
    persian, persian_client = reader(app, make_user, "fa")
    english, english_client = reader(app, make_user, "en")
    with app.app_context():
        for person in (persian, english):
            db.session.add(
                Invitation(survey_id=survey_id, customer_id=person.id, status="sent", sent_at=utcnow())
            )
        db.session.commit()

    html = page(persian_client, f"/surveys/{survey_id}/")
    assert "<h1><bdi>چقدر احتمال دارد ما را به دیگران پیشنهاد کنید؟</bdi></h1>" in html
    assert "How likely" not in html
    assert "کدام شعبه؟" in html and "شمال" in html and "جنوب" in html
    assert "North" not in html and "Which branch?" not in html
    # Untranslated: the English question, marked as English inside the Persian page.
    assert '<bdi lang="en" dir="ltr">One word</bdi>' in html
    assert "<bdi>چقدر" in page(persian_client, "/surveys/")

    html = page(english_client, f"/surveys/{survey_id}/")
    assert "How likely are you to recommend us?" in html and "North" in html
    assert "کدام" not in html and "چقدر" not in html

    # The chosen place is stored, whatever language the choice was read in.
    with app.app_context():
        nps_id = db.session.scalar(
            select(Question.id).where(Question.survey_id == survey_id, Question.kind == "nps")
        )
    answered = post_form(
        persian_client,
        f"/surveys/{survey_id}/",
        {"action": "submit", f"q{nps_id}": "9", f"q{branch_id}": "1"},
    )
    assert answered.status_code in (200, 302) and "<form" not in answered.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Answer.value).where(Answer.question_id == branch_id)) == 1


@pytest.mark.plugins("surveys")
def test_survey_invitation_is_written_in_the_recipients_language(app, make_user):
    survey_id, _branch, _plain = published_survey(app)
    persian = make_user("customer", language="fa")
    english = make_user("customer", language="en")
    with app.app_context():
        for person in (persian, english):
            db.session.add(
                Invitation(survey_id=survey_id, customer_id=person.id, due_at=utcnow() - timedelta(minutes=1))
            )
        db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert invitations.send_due_invitations(utcnow()) == 2
        db.session.commit()
        titles = dict(db.session.execute(select(Notification.user_id, Notification.title)).all())
    assert "چقدر احتمال دارد ما را به دیگران پیشنهاد کنید؟" in titles[persian.id]
    assert "How likely are you to recommend us?" in titles[english.id]


@pytest.mark.plugins("surveys")
def test_survey_builder_saves_translations_and_shows_what_is_missing(app, client, login_as):
    survey_id, _branch, _plain = published_survey(app)
    login_as("agent")
    html = page(client, f"/staff/surveys/{survey_id}/")
    # The untranslated "One word" question is flagged; the settings form has a Persian title field.
    assert html.count("Persian missing") == 1
    assert re.search(r'<input[^>]*dir="rtl"[^>]*lang="fa"[^>]*name="title_fa"', html) or re.search(
        r'<input[^>]*lang="fa"[^>]*name="title_fa"', html
    )
    assert "Title (فارسی)" in html
    saved = post_form(
        client,
        f"/staff/surveys/{survey_id}/",
        {"title": "Recommend us?", "title_fa": "x" * 201, "audience_key": "", "trigger_delay_hours": "0"},
    )
    assert saved.status_code == 422 and "200 characters" in saved.get_data(as_text=True)
    saved = post_form(
        client,
        f"/staff/surveys/{survey_id}/",
        {
            "title": "Recommend us?",
            "title_fa": "ما را پیشنهاد می‌کنید؟",
            "audience_key": "",
            "trigger_delay_hours": "0",
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.title == "Recommend us?"
        assert survey.translations["fa"]["title"] == "ما را پیشنهاد می‌کنید؟"
        # The intro was not sent in Persian: it is no longer translated, so it falls back.
        assert "intro" not in survey.translations["fa"]


# --- loyalty -----------------------------------------------------------------------------------------------


@pytest.mark.plugins("loyalty")
def test_reward_catalogue_and_tier_benefits_in_the_customers_language(app, make_user):
    with app.app_context():
        coffee = Reward(title="Coffee voucher", description="A coffee on us.", cost=100, stock=5)
        set_translations(coffee, {"fa": {"title": "کوپن قهوه", "description": "یک فنجان قهوه مهمان ما."}})
        db.session.add_all([coffee, Reward(title="Tote bag", description="", cost=200, stock=5)])
        set_setting("loyalty", "tier_bronze_benefits_fa", "در هر خرید امتیاز بگیرید.", actor_id=None)
        db.session.commit()
    _persian, persian_client = reader(app, make_user, "fa")
    _english, english_client = reader(app, make_user, "en")

    html = page(persian_client, "/loyalty/rewards")
    assert "کوپن قهوه" in html and "یک فنجان قهوه مهمان ما." in html
    assert "Coffee voucher" not in html
    assert '<bdi lang="en" dir="ltr">Tote bag</bdi>' in html
    assert "در هر خرید امتیاز بگیرید." in page(persian_client, "/loyalty/")

    html = page(english_client, "/loyalty/rewards")
    assert "Coffee voucher" in html and "کوپن" not in html
    assert "Collect points on every purchase." in page(english_client, "/loyalty/")


@pytest.mark.plugins("loyalty")
def test_reward_form_round_trip_with_a_persian_title(app, client, login_as):
    login_as("admin")
    html = page(client, "/staff/loyalty/rewards/new")
    assert 'name="title_fa"' in html and 'name="description_fa"' in html
    response = post_form(
        client,
        "/staff/loyalty/rewards/new",
        {
            "title": "Coffee voucher",
            "title_fa": "کوپن قهوه",
            "description": "A coffee on us.",
            "cost": "100",
            "stock": "5",
            "per_customer_limit": "0",
            "min_tier": "bronze",
            "active": "y",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        reward_id, translations = db.session.execute(select(Reward.id, Reward.translations)).one()
    assert translations == {"fa": {"title": "کوپن قهوه"}}
    html = page(client, f"/staff/loyalty/rewards/{reward_id}")
    assert 'value="کوپن قهوه"' in html
    assert "Persian missing" in page(client, "/staff/loyalty/")


# --- documents ---------------------------------------------------------------------------------------------


@pytest.mark.plugins("documents")
def test_document_titles_in_the_customers_language(app, make_user):
    persian, persian_client = reader(app, make_user, "fa")
    english, english_client = reader(app, make_user, "en")
    with app.app_context():
        ids = {}
        for person in (persian, english):
            contract = Document(
                title="Service contract",
                description="The contract we signed.",
                category="contract",
                audience_customer_id=person.id,
                published=True,
                published_at=utcnow(),
            )
            set_translations(contract, {"fa": {"title": "قرارداد خدمات"}})
            manual = Document(
                title="User manual",
                category="manual",
                audience_customer_id=person.id,
                published=True,
                published_at=utcnow(),
            )
            db.session.add_all([contract, manual])
            db.session.flush()
            for document in (contract, manual):
                db.session.add(
                    Version(
                        document_id=document.id,
                        number=1,
                        storage_key=f"documents/{document.id}",
                        filename="file.txt",
                        mimetype="text/plain",
                        size=4,
                        sha256="0" * 64,
                    )
                )
            ids[person.id] = contract.id
        db.session.commit()

    html = page(persian_client, "/documents/")
    assert "قرارداد خدمات" in html and "Service contract" not in html
    assert '<bdi lang="en" dir="ltr">User manual</bdi>' in html
    shown = page(persian_client, f"/documents/{ids[persian.id]}")
    assert "<bdi>قرارداد خدمات</bdi>" in shown
    # The description was not translated: English, marked as such.
    assert '<bdi lang="en" dir="ltr">The contract we signed.</bdi>' in shown

    html = page(english_client, "/documents/")
    assert "Service contract" in html and "قرارداد" not in html


# --- tickets ------------------------------------------------------------------------------------------------


@pytest.mark.plugins("tickets")
def test_a_canned_reply_is_inserted_in_the_ticket_customers_language(app, client, make_user, login_as):
    persian = make_user("customer", language="fa")
    english = make_user("customer", language="en")
    with app.app_context():
        tickets = {}
        for person in (persian, english):
            ticket = Ticket(
                customer_id=person.id,
                subject="Where is my order?",
                category="question",
                priority="normal",
                status="new",
                first_response_due=utcnow() + timedelta(hours=4),
                resolution_due=utcnow() + timedelta(days=2),
            )
            db.session.add(ticket)
            db.session.flush()
            db.session.add(Message(ticket_id=ticket.id, author_id=person.id, body="Hello"))
            tickets[person.id] = ticket.id
        db.session.commit()
    login_as("agent")
    html = page(client, "/staff/tickets/canned")
    assert 'name="body_fa"' in html and 'lang="fa"' in html
    saved = post_form(
        client,
        "/staff/tickets/canned",
        {
            "title": "On it",
            "body": "We are on it.",
            "title_fa": "در حال پیگیری",
            "body_fa": "در حال پیگیری هستیم.",
        },
    )
    assert saved.status_code == 302
    post_form(client, "/staff/tickets/canned", {"title": "Refund", "body": "Your refund is on its way."})
    listing = page(client, "/staff/tickets/canned")
    assert listing.count("Persian missing") == 1
    with app.app_context():
        replies = dict(db.session.execute(select(CannedReply.title, CannedReply.id)).all())

    def inserted(ticket_id: int, reply_id: int) -> str:
        response = post_form(
            client, f"/staff/tickets/{ticket_id}/canned", {"canned": str(reply_id), "body": ""}
        )
        return response.get_data(as_text=True)

    assert "در حال پیگیری هستیم.</textarea>" in inserted(tickets[persian.id], replies["On it"])
    assert "We are on it.</textarea>" in inserted(tickets[english.id], replies["On it"])
    # Not translated: the agent starts from the English text rather than from nothing.
    assert "Your refund is on its way.</textarea>" in inserted(tickets[persian.id], replies["Refund"])


# --- demo data ---------------------------------------------------------------------------------------------


@pytest.mark.plugins("surveys", "loyalty", "documents", "tickets")
def test_demo_content_is_all_written_in_persian_too(app, make_user):
    from plugins.documents import customer_data as documents_demo
    from plugins.loyalty import contributions as loyalty_demo
    from plugins.surveys import contributions as surveys_demo
    from plugins.tickets import contributions as tickets_demo
    from portal.accounts.models import User

    people = [make_user("customer") for _n in range(2)]
    with app.app_context():
        customers = [db.session.get(User, person.id) for person in people]
        surveys_demo.load_demo_data(customers)
        loyalty_demo.load_demo_data(customers)
        documents_demo.add_demo(customers)
        tickets_demo.load_demo_data(customers)
        db.session.commit()
        checks = [
            (Survey, ("title", "intro")),
            (Question, ("text", "help", "options")),
            (Reward, ("title", "description")),
            (Document, ("title", "description")),
            (CannedReply, ("title", "body")),
        ]
        for model, fields in checks:
            rows = db.session.scalars(select(model)).all()
            assert rows, model
            untranslated = [row.id for row in rows if missing_languages(row, fields)]
            assert untranslated == [], model


# --- translating what has no edit form of its own ---------------------------------------------------------


@pytest.mark.plugins("surveys")
def test_a_published_surveys_question_is_translated_later(app, client, login_as):
    survey_id, branch_id, plain_id = published_survey(app)
    login_as("agent")
    edit_page = page(client, f"/staff/surveys/{survey_id}/")
    url = f"/staff/surveys/{survey_id}/questions/{plain_id}/translations"
    assert f'href="{url}"' in edit_page
    html = page(client, url)
    assert "One word" in html and 'name="text_fa"' in html and 'name="options_fa"' not in html

    choices = f"/staff/surveys/{survey_id}/questions/{branch_id}/translations"
    refused = post_form(client, choices, {"text_fa": "کدام شعبه؟", "options_fa": "شمال\nجنوب\nغرب"})
    assert refused.status_code == 422
    assert "Write exactly 2 choices" in refused.get_data(as_text=True)

    assert post_form(client, url, {"text_fa": "یک کلمه"}).status_code == 303
    with app.app_context():
        assert db.session.get(Question, plain_id).translations == {"fa": {"text": "یک کلمه"}}
    assert "Persian missing" not in page(client, f"/staff/surveys/{survey_id}/")
    # Another survey's question is not reachable through this survey.
    other_id, _b, _p = published_survey(app)
    assert client.get(f"/staff/surveys/{other_id}/questions/{plain_id}/translations").status_code == 404


@pytest.mark.plugins("tickets", "documents")
def test_canned_replies_and_documents_are_translated_later(app, client, make_user, login_as):
    customer = make_user("customer")
    with app.app_context():
        reply = CannedReply(title="Refund", body="Your refund is on its way.")
        document = Document(title="User manual", category="manual", audience_customer_id=customer.id)
        db.session.add_all([reply, document])
        db.session.commit()
        reply_id, document_id = reply.id, document.id
    login_as("agent")
    assert (
        post_form(
            client,
            f"/staff/tickets/canned/{reply_id}/translations",
            {"title_fa": "بازپرداخت", "body_fa": "x" * 10001},
        ).status_code
        == 422
    )
    saved = post_form(
        client,
        f"/staff/tickets/canned/{reply_id}/translations",
        {"title_fa": "بازپرداخت", "body_fa": "مبلغ شما در راه است."},
    )
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/staff/tickets/canned")
    assert "Persian missing" not in page(client, "/staff/tickets/canned")

    url = f"/staff/documents/{document_id}/translations"
    assert f'href="{url}"' in page(client, f"/staff/documents/{document_id}")
    assert post_form(client, url, {"title_fa": "راهنمای کاربر"}).status_code == 303
    with app.app_context():
        assert db.session.get(Document, document_id).translations == {"fa": {"title": "راهنمای کاربر"}}


@pytest.mark.plugins("loyalty")
def test_tier_benefits_have_a_setting_in_each_further_language(app, client, login_as):
    login_as("admin")
    html = page(client, "/staff/settings/loyalty")
    assert "Gold: benefits (فارسی)" in html
    with app.app_context():
        set_setting("loyalty", "tier_gold_benefits_fa", "پشتیبانی در اولویت", actor_id=None)
        db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "fa"}):
        assert tier_by_code("gold").benefits == "پشتیبانی در اولویت"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert tier_by_code("gold").benefits == "Even more points, priority support."


@pytest.mark.plugins("loyalty", "documents", "tickets", "surveys")
def test_staff_see_the_translations_they_typed_where_the_form_leads(app, client, make_user, login_as):
    customer = make_user("customer")
    login_as("admin")
    reward = post_form(
        client,
        "/staff/loyalty/rewards/new",
        {
            "title": "Coffee voucher",
            "title_fa": "کوپن قهوه",
            "description": "A coffee on us.",
            "description_fa": "یک قهوه مهمان ما",
            "cost": "100",
            "stock": "5",
            "per_customer_limit": "0",
            "min_tier": "bronze",
            "active": "y",
        },
    )
    assert reward.status_code == 303
    report = page(client, "/staff/loyalty/")
    assert "کوپن قهوه" in report and "یک قهوه مهمان ما" in report

    canned = post_form(
        client,
        "/staff/tickets/canned",
        {"title": "Refund", "title_fa": "بازپرداخت", "body": "On its way.", "body_fa": "`id` در راه است"},
    )
    assert canned.status_code == 302
    replies = page(client, "/staff/tickets/canned")
    assert "بازپرداخت" in replies and "`id` در راه است" in replies

    survey_id, _branch, _plain = published_survey(app)
    with app.app_context():
        db.session.get(Survey, survey_id).status = "draft"
        db.session.commit()
    question = post_form(
        client,
        f"/staff/surveys/{survey_id}/questions",
        {
            "kind": "single",
            "text": "Colour?",
            "text_fa": "رنگ؟",
            "help": "Pick one",
            "help_fa": "یکی را بردارید",
            "options": "Red\nBlue",
            "options_fa": "قرمز\nآبی",
            "scale_max": "5",
        },
    )
    assert question.status_code == 302
    builder = page(client, f"/staff/surveys/{survey_id}/")
    assert "رنگ؟" in builder and "یکی را بردارید" in builder and "قرمز\nآبی" in builder

    with app.app_context():
        document = Document(title="User manual", category="manual", audience_customer_id=customer.id)
        set_translations(document, {"fa": {"title": "راهنمای کاربر", "description": "برای همه"}})
        db.session.add(document)
        db.session.commit()
        document_id = document.id
    shown = page(client, f"/staff/documents/{document_id}")
    assert '<dd lang="fa" dir="auto">راهنمای کاربر</dd>' in shown and "برای همه" in shown
