"""The help center's customer data: the 360° panel, the data export, erasure and the demo articles."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from plugins.helpcenter import customer_data, demo_articles, search, service
from plugins.helpcenter.models import Article, ArticleVersion, Category, Feedback, Reading
from portal.plugin import User, db, utcnow
from portal.testing import TEST_PASSWORD, log_in, post_form

pytestmark = pytest.mark.plugins("helpcenter", "tickets")


def signed_in(app, user):
    other = app.test_client()
    log_in(other, user.email, TEST_PASSWORD)
    return other


def published_article(app, author_id, title):
    with app.app_context():
        author = db.session.get(User, author_id)
        article = service.save_article(
            None,
            title=title,
            body="Text.",
            translations={"fa": {"title": f"{title} (فارسی)"}},
            category_id=None,
            audience="everyone",
            author=author,
        )
        service.set_status(article, "published", author)
        db.session.commit()
        return article.id


def reader_history(app, customer_id):
    """Readings and feedback by a customer: one from the ticket form that helped, one that led nowhere."""
    agent_id = db.session.scalar(select(User.id).where(User.role == "agent"))
    first = published_article(app, agent_id, "Tracking an order")
    second = published_article(app, agent_id, "Returning an item")
    with app.app_context():
        reader = db.session.get(User, customer_id)
        tracking, returning = db.session.get(Article, first), db.session.get(Article, second)
        service.record_reading(tracking, reader, from_ticket_form=True)
        service.record_reading(returning, reader, from_ticket_form=False)
        service.record_feedback(
            tracking, reader, helpful=True, comment="Found my parcel, thanks", language="en"
        )
        service.record_feedback(returning, reader, helpful=False, comment="", language="en")
        old = service.record_reading(returning, reader, from_ticket_form=True)
        old.created_at = utcnow() - timedelta(days=3)
        db.session.commit()
    return first, second


def test_the_panel_shows_what_the_customer_read_and_said(app, make_user):
    customer = make_user("customer", name="Sara Ahmadi")
    make_user("agent")
    agent = signed_in(app, make_user("agent"))
    with app.app_context():
        first, _second = reader_history(app, customer.id)
    page = agent.get(f"/staff/customers/{customer.id}").get_data(as_text=True)
    assert "Help articles read" in page
    assert "3 articles read." in page
    assert f'href="/staff/help/articles/{first}"' in page, "each title leads to the article's staff page"
    assert "said it helped" in page, "a reading from the ticket form that helped"
    assert "no ticket followed" in page, "a reading whose window passed without a ticket"
    assert "Found my parcel, thanks" in page and "did not help" in page


def test_a_customer_with_no_readings_has_an_empty_panel_and_no_export(app, make_user):
    customer = make_user("customer")
    agent = signed_in(app, make_user("agent"))
    page = agent.get(f"/staff/customers/{customer.id}").get_data(as_text=True)
    assert "0 articles read." in page
    with app.app_context():
        assert customer_data.export(db.session.get(User, customer.id)) is None


def test_export_holds_the_readings_and_feedback_in_the_customers_language(app, make_user):
    customer = make_user("customer", language="fa")
    make_user("agent")
    with app.app_context():
        reader_history(app, customer.id)
        exported = customer_data.export(db.session.get(User, customer.id))
    assert exported is not None
    assert [row["article"] for row in exported["readings"]] == [
        "Tracking an order (فارسی)",
        "Returning an item (فارسی)",
        "Returning an item (فارسی)",
    ]
    assert [row["from_ticket_form"] for row in exported["readings"]] == [True, False, True]
    assert exported["readings"][0]["from_ticket_form"] is True
    assert exported["readings"][0]["outcome"] == "helped"
    assert [(row["helpful"], row["comment"]) for row in exported["feedback"]] == [
        (True, "Found my parcel, thanks"),
        (False, ""),
    ]


def test_erasure_removes_readings_and_feedback_and_keeps_the_counts(app, make_user):
    customer, other = make_user("customer"), make_user("customer")
    make_user("agent")
    with app.app_context():
        first, _second = reader_history(app, customer.id)
        service.record_reading(
            db.session.get(Article, first), db.session.get(User, other.id), from_ticket_form=False
        )
        db.session.commit()
        customer_data.erase(db.session.get(User, customer.id))
        db.session.commit()
        assert (
            db.session.scalar(select(func.count()).select_from(Reading).where(Reading.user_id == customer.id))
            == 0
        )
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0
        assert db.session.scalar(select(func.count()).select_from(Reading)) == 1, "others' readings stay"
        article = db.session.get(Article, first)
        assert (article.views, article.helpful) == (2, 1), "the article's counts name nobody and stay"


def test_the_customer_downloads_their_part_and_deleting_the_account_erases_it(app, make_user):
    customer = make_user("customer")
    make_user("agent")
    with app.app_context():
        first, _second = reader_history(app, customer.id)
    person = signed_in(app, customer)
    exported = json.loads(person.get("/account/export").get_data(as_text=True))
    part = exported["plugins"]["helpcenter"]
    assert len(part["readings"]) == 3 and part["feedback"][0]["comment"] == "Found my parcel, thanks"
    deleted = post_form(person, "/account/delete", {"current_password": TEST_PASSWORD, "confirm": "y"})
    assert deleted.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reading)) == 0
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0
        assert db.session.get(Article, first).views == 1


def test_demo_articles_are_added_once_in_english_and_persian(app, make_user):
    make_user("agent")
    admin = make_user("admin")
    customer = make_user("customer")
    with app.test_request_context():
        customers = [db.session.get(User, customer.id)]
        customer_data.add_demo(customers)
        db.session.commit()
        counts = [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Category, Article, ArticleVersion)
        ]
        customer_data.add_demo(customers)
        db.session.commit()
        assert [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Category, Article, ArticleVersion)
        ] == counts, "a second run adds nothing"
        assert counts[:2] == [3, len(demo_articles.ARTICLES)]
        articles = db.session.scalars(select(Article)).all()
        assert all(article.status == "published" for article in articles)
        assert all(article.author_id == admin.id for article in articles), "written as the administrator"
        assert sorted(article.audience for article in articles).count("all-customers") == 1
        assert all(
            article.translations["fa"]["title"] and article.translations["fa"]["body"] for article in articles
        )
        shelves = db.session.scalars(select(Category)).all()
        assert {shelf.name for shelf in shelves} == {
            "Your account",
            "Orders and delivery",
            "Points and rewards",
        }
        assert all(shelf.translations["fa"]["name"] for shelf in shelves)
        persian = " ".join(
            text for article in articles for text in article.translations["fa"].values()
        ) + " ".join(shelf.translations["fa"]["name"] for shelf in shelves)
        assert "ي" not in persian and "ك" not in persian, "Persian letters, not Arabic ones"
        found = search.search_articles("رمز عبور", Article.status == "published")
        assert found and found[0].title == "How do I reset my password?"


def test_demo_without_staff_adds_the_categories_only(app, make_user):
    customer = make_user("customer")
    with app.test_request_context():
        customer_data.add_demo([db.session.get(User, customer.id)])
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Category)) == 3
        assert db.session.scalar(select(func.count()).select_from(Article)) == 0


def test_demo_articles_render_for_a_persian_reader(app, make_user):
    make_user("agent")
    sara = make_user("customer", language="fa")
    with app.test_request_context():
        customer_data.add_demo([db.session.get(User, sara.id)])
        db.session.commit()
        article_id = db.session.scalar(select(Article.id).where(Article.title == "How do I track my order?"))
    page = signed_in(app, sara).get(f"/help/articles/{article_id}").get_data(as_text=True)
    assert "چطور سفارشم را پیگیری کنم؟" in page
    assert "<li>" in page, "the steps are a list"
