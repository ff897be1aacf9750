"""Help center search: Persian and English found alike, ranked by title, never past the audience rule,
and the same answers from SQLite's FTS5 and PostgreSQL's full-text index."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from helpcenter_support import add_article
from sqlalchemy import func, select

from plugins.helpcenter import customer_data, search
from plugins.helpcenter.access import visible_condition
from plugins.helpcenter.models import ALL_CUSTOMERS, DRAFT, Article, SearchEntry
from plugins.helpcenter.search_text import index_text, normalise, query_words
from portal import create_app
from portal.plugin import User, db
from portal.testing import create_user, statements_run
from portal.testing.fixtures import POSTGRES_URL, base_config, service_unavailable

pytestmark = pytest.mark.plugins("helpcenter")


def titles_found(app: Flask, term: str, reader_id: int | None = None) -> list[str]:
    with app.app_context():
        reader = db.session.get(User, reader_id) if reader_id else None
        return [article.title for article in search.search_articles(term, visible_condition(reader))]


# --- The normal form -------------------------------------------------------------------------------


def test_arabic_keyboard_letters_digits_and_marks_fold_to_one_spelling():
    assert normalise("كتاب ي") == normalise("کتاب ی")
    assert normalise("سفارش ۱۲۳ و ١٢٣") == "سفارش 123 و 123"
    assert normalise("مُحَمَّد") == "محمد"
    assert normalise("Café RESET-Password!") == "cafe reset password"


def test_a_word_with_a_non_joiner_is_indexed_in_parts_and_whole():
    stored = index_text("می‌خواهم").split()
    assert {"می", "خواهم", "میخواهم"} <= set(stored)


def test_common_words_are_left_out_of_a_query_but_a_query_of_only_them_finds_nothing():
    assert query_words("How do I reset my password?") == ["reset", "password"]
    assert query_words("چگونه رمز عبورم را عوض کنم") == ["رمز", "عبورم", "عوض"]
    assert query_words("the and of") == []


# --- Finding articles ------------------------------------------------------------------------------


def test_english_and_persian_readers_find_the_article_however_they_type(app, make_user):
    agent = make_user("agent")
    add_article(
        app,
        agent.id,
        "Reset your password",
        "Open Account and choose Forgot password.",
        fa=("بازنشانی رمز عبور", "اگر می‌خواهید رمز را عوض کنید، به حساب کاربری بروید. کد ۴۲ را وارد کنید."),
    )
    add_article(app, agent.id, "Track an order", "Follow the parcel from the order page.")
    for term in (
        "reset password",
        "passw",  # a word begun
        "PASSWORD",
        "رمز عبور",
        "رمز عبور كاربري",  # typed on an Arabic keyboard
        "می‌خواهید",  # with the non-joiner
        "می خواهید",  # with a space
        "میخواهید",  # run together
        "کد 42",  # Latin digits for Persian ones
    ):
        assert titles_found(app, term, agent.id) == ["Reset your password"], term
    assert titles_found(app, "parcel", agent.id) == ["Track an order"]
    assert titles_found(app, "xylophone", agent.id) == []
    assert titles_found(app, "   ", agent.id) == []


def test_a_title_match_ranks_above_a_match_in_the_body(app, make_user):
    agent = make_user("agent")
    add_article(app, agent.id, "Gift cards", "Buy one in the shop. Refunds are explained elsewhere.")
    add_article(app, agent.id, "Refunds", "How long a refund takes.")
    assert titles_found(app, "refund", agent.id) == ["Refunds", "Gift cards"]


def test_an_edited_article_is_found_by_its_new_words_only_and_a_deleted_one_not_at_all(app, make_user):
    agent = make_user("agent")
    article_id = add_article(app, agent.id, "Opening hours", "We open at nine.")
    with app.app_context():
        from plugins.helpcenter import service

        article = db.session.get(Article, article_id)
        author = db.session.get(User, agent.id)
        service.save_article(
            article,
            title="Store hours",
            body="We open at ten.",
            translations=None,
            category_id=None,
            audience=article.audience,
            author=author,
        )
        db.session.commit()
    assert titles_found(app, "opening", agent.id) == []
    assert titles_found(app, "store ten", agent.id) == ["Store hours"]
    with app.app_context():
        db.session.delete(db.session.get(Article, article_id))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(SearchEntry)) == 0
    assert titles_found(app, "store", agent.id) == []


def test_search_never_shows_a_draft_or_an_article_for_someone_else(app, make_user):
    agent = make_user("agent")
    customer = make_user()
    add_article(app, agent.id, "Refund policy", "For everyone.")
    add_article(app, agent.id, "Refund secrets", "Draft.", status=DRAFT)
    add_article(app, agent.id, "Refund for partners", "Partners only.", audience="organization:999")
    add_article(app, agent.id, "Refund for customers", "Signed in.", audience=ALL_CUSTOMERS)
    assert sorted(titles_found(app, "refund", customer.id)) == ["Refund for customers", "Refund policy"]
    assert titles_found(app, "refund", None) == ["Refund policy"]
    assert sorted(titles_found(app, "refund", agent.id)) == ["Refund for customers", "Refund policy"]


def test_the_search_page_runs_the_same_statements_for_3_or_30_articles(app, client, make_user, login_as):
    agent = make_user("agent")
    login_as()
    for number in range(3):
        add_article(app, agent.id, f"Delivery question {number}", "Delivery times.")
    with statements_run(app) as few:
        assert client.get("/help/search?q=delivery").status_code == 200
    for number in range(27):
        add_article(app, agent.id, f"Delivery answer {number}", "Delivery times and costs.")
    with statements_run(app) as many:
        page = client.get("/help/search?q=delivery")
    assert "20 articles match" in page.get_data(as_text=True)
    assert len(many) == len(few)


# --- The same answers on both databases -----------------------------------------------------------

DEMO_QUERIES = (
    "password",
    "reset my password",
    "email address",
    "track order",
    "return an item",
    "points expire",
    "invoice",
    "رمز عبور",
    "سفارش",
    "امتیاز",
    "صورتحساب",  # written with a non-joiner in the article
    "پشتیبانی",
)


def demo_results(url: str, instance: Path) -> dict[str, list[int]]:
    """Each demo query's result ids, best first, on a fresh database at ``url`` with the demo articles."""
    app = create_app(base_config(instance, url, ["helpcenter"]))
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
    admin = create_user(app, "admin")  # the demo articles' author, who may read every one
    with app.app_context():
        customer_data.add_demo([])
        db.session.commit()
        visible = visible_condition(db.session.get(User, admin.id))
        results = {
            term: [article.id for article in search.search_articles(term, visible)] for term in DEMO_QUERIES
        }
        db.session.remove()
        db.engine.dispose()
    return results


def test_sqlite_and_postgresql_give_the_same_results_for_the_demo_articles(database_templates, tmp_path):
    if not POSTGRES_URL:
        service_unavailable("PORTAL_TEST_DATABASE_URL is not set: nothing to compare SQLite with")
    sqlite_url, _ = database_templates.copy("sqlite", tmp_path)
    postgres_url, drop = database_templates.copy("postgresql", tmp_path)
    try:
        on_sqlite = demo_results(sqlite_url, tmp_path / "sqlite")
        on_postgres = demo_results(postgres_url, tmp_path / "postgres")
    finally:
        drop()
    assert all(on_sqlite[term] for term in DEMO_QUERIES), on_sqlite  # every query finds something
    assert {term: set(ids) for term, ids in on_sqlite.items()} == {
        term: set(ids) for term, ids in on_postgres.items()
    }
    assert {term: ids[0] for term, ids in on_sqlite.items()} == {
        term: ids[0] for term, ids in on_postgres.items()
    }
