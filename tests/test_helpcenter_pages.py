"""The help center as customers and visitors read it: who may open what, readings counted, "Did this
help?" kept once per reader, text in the reader's language, Markdown made safe."""

from __future__ import annotations

import pytest
from helpcenter_support import add_article
from sqlalchemy import select

from plugins.helpcenter.events import ArticleFeedback, ArticlePublished
from plugins.helpcenter.models import ALL_CUSTOMERS, ARCHIVED, COMMENT_MAX, DRAFT, Article, Feedback, Reading
from portal.organizations.models import Membership, Organization
from portal.plugin import db, set_setting
from portal.testing import events_emitted, post_form

pytestmark = pytest.mark.plugins("helpcenter")


def article_row(app, article_id: int) -> Article:
    with app.app_context():
        article = db.session.get(Article, article_id)
        db.session.expunge(article)
        return article


def readings(app) -> list[tuple[int | None, bool, str | None]]:
    with app.app_context():
        return [
            (r.user_id, r.from_ticket_form, r.outcome)
            for r in db.session.scalars(select(Reading).order_by(Reading.id))
        ]


# --- Who may read what ----------------------------------------------------------------------------


def test_a_visitor_reads_public_articles_until_the_administrator_closes_the_help_center(
    app, client, make_user
):
    agent = make_user("agent")
    article_id = add_article(app, agent.id, "Opening hours", "We open at **nine**.")
    members_only = add_article(app, agent.id, "Member prices", audience=ALL_CUSTOMERS)
    assert "Opening hours" in client.get("/help/").get_data(as_text=True)
    page = client.get(f"/help/articles/{article_id}")
    assert page.status_code == 200 and "<strong>nine</strong>" in page.get_data(as_text=True)
    assert client.get(f"/help/articles/{members_only}").status_code == 404
    with app.app_context():
        set_setting("helpcenter", "public", False, actor_id=agent.id)
        db.session.commit()
    closed = client.get(f"/help/articles/{article_id}")
    assert closed.status_code == 302 and "/login" in closed.headers["Location"]
    assert client.get("/help/search?q=hours").status_code == 302


def test_customers_read_only_their_audiences_and_never_drafts(app, client, make_user, login_as):
    agent = make_user("agent")
    customer = login_as()
    with app.app_context():
        ours = Organization(name="Acme", kind="company")
        theirs = Organization(name="Globex", kind="company")
        db.session.add_all([ours, theirs])
        db.session.flush()
        db.session.add(Membership(user_id=customer.id, organization_id=ours.id))
        db.session.commit()
        ours_id, theirs_id = ours.id, theirs.id
    readable = [
        add_article(app, agent.id, "For all", "x"),
        add_article(app, agent.id, "For customers", "x", audience=ALL_CUSTOMERS),
        add_article(app, agent.id, "For Acme", "x", audience=f"organization:{ours_id}"),
    ]
    hidden = [
        add_article(app, agent.id, "For Globex", "x", audience=f"organization:{theirs_id}"),
        add_article(app, agent.id, "Still a draft", "x", status=DRAFT),
        add_article(app, agent.id, "Old news", "x", status=ARCHIVED),
        add_article(app, agent.id, "Gone segment", "x", audience="loyalty.tier:nonexistent"),
    ]
    for article_id in readable:
        assert client.get(f"/help/articles/{article_id}").status_code == 200
    for article_id in [*hidden, 0, 2**31, 99999]:
        assert client.get(f"/help/articles/{article_id}").status_code == 404
    front = client.get("/help/").get_data(as_text=True)
    assert "For Acme" in front and "For Globex" not in front and "Still a draft" not in front


def test_staff_read_the_public_pages_as_customers_do_and_are_not_counted(app, client, make_user, login_as):
    agent = login_as("agent")
    draft = add_article(app, agent.id, "Work in progress", status=DRAFT)
    published = add_article(app, agent.id, "Live", audience=ALL_CUSTOMERS)
    assert client.get(f"/help/articles/{draft}").status_code == 404
    assert client.get(f"/staff/help/articles/{draft}").status_code == 200
    assert client.get(f"/help/articles/{published}").status_code == 200
    assert article_row(app, published).views == 0
    assert readings(app) == []


# --- Readings and feedback -------------------------------------------------------------------------


def test_a_reading_from_the_ticket_form_is_marked_and_settled_by_the_answer(app, client, make_user, login_as):
    agent = make_user("agent")
    article_id = add_article(app, agent.id, "Change your email address")
    customer = login_as()
    client.get(f"/help/articles/{article_id}")
    client.get(f"/help/articles/{article_id}?from=ticket-form")
    assert readings(app) == [(customer.id, False, None), (customer.id, True, None)]
    with events_emitted(app) as emitted:
        answer = post_form(client, f"/help/articles/{article_id}/feedback", {"helpful": "yes"})
    assert answer.status_code == 302
    assert readings(app)[-1] == (customer.id, True, "helped")
    assert emitted == [ArticleFeedback(article_id=article_id, helpful=True, from_ticket_form=True)]
    article = article_row(app, article_id)
    assert (article.views, article.helpful, article.unhelpful) == (2, 1, 0)
    assert "You told us this article helped" in client.get(f"/help/articles/{article_id}").get_data(
        as_text=True
    )


def test_answering_again_replaces_the_first_answer(app, client, make_user, login_as):
    agent = make_user("agent")
    article_id = add_article(app, agent.id, "Delivery times")
    login_as()
    post_form(client, f"/help/articles/{article_id}/feedback", {"helpful": "yes"})
    post_form(
        client, f"/help/articles/{article_id}/feedback", {"helpful": "no", "comment": "It is out of date"}
    )
    article = article_row(app, article_id)
    assert (article.helpful, article.unhelpful) == (0, 1)
    with app.app_context():
        assert [(f.helpful, f.comment) for f in db.session.scalars(select(Feedback))] == [
            (False, "It is out of date")
        ]


def test_a_comment_over_the_limit_is_refused_and_kept(app, client, make_user, login_as):
    agent = make_user("agent")
    article_id = add_article(app, agent.id, "Warranty")
    login_as()
    long_comment = "Too long. " * (COMMENT_MAX // 10 + 1)
    page = post_form(
        client, f"/help/articles/{article_id}/feedback", {"helpful": "no", "comment": long_comment}
    )
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert f"Keep the comment to {COMMENT_MAX:,} characters or fewer." in text
    assert long_comment.strip() in text
    assert article_row(app, article_id).unhelpful == 0
    missing = post_form(client, f"/help/articles/{article_id}/feedback", {})
    assert missing.status_code == 400 and "Choose Yes or No." in missing.get_data(as_text=True)


def test_a_visitor_answers_once_per_visit_and_cannot_leave_a_comment(app, client, make_user):
    agent = make_user("agent")
    article_id = add_article(app, agent.id, "Store address")
    assert "What were you looking for?" not in client.get(f"/help/articles/{article_id}").get_data(
        as_text=True
    )
    post_form(client, f"/help/articles/{article_id}/feedback", {"helpful": "yes", "comment": "spam http://x"})
    post_form(client, f"/help/articles/{article_id}/feedback", {"helpful": "yes"})
    assert article_row(app, article_id).helpful == 1
    with app.app_context():
        assert [(f.user_id, f.comment) for f in db.session.scalars(select(Feedback))] == [(None, "")]


def test_feedback_on_an_article_the_reader_may_not_see_is_refused(app, client, make_user, login_as):
    agent = make_user("agent")
    draft = add_article(app, agent.id, "Unpublished", status=DRAFT)
    login_as()
    assert post_form(client, f"/help/articles/{draft}/feedback", {"helpful": "yes"}).status_code == 404
    assert client.post(f"/help/articles/{draft}/feedback", data={"helpful": "yes"}).status_code in (400, 404)


def test_the_feedback_answer_comes_back_as_a_fragment_for_htmx(app, client, make_user, login_as):
    agent = make_user("agent")
    article_id = add_article(app, agent.id, "Gift wrap")
    login_as()
    fragment = post_form(
        client, f"/help/articles/{article_id}/feedback", {"helpful": "no"}, headers={"HX-Request": "true"}
    )
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert "Thank you. We will make this article better." in text


# --- Language, Markdown, events ----------------------------------------------------------------------


def test_a_persian_reader_gets_the_translation_and_the_english_text_is_marked_when_it_is_missing(
    app, client, make_user, login_as
):
    agent = make_user("agent")
    translated = add_article(
        app, agent.id, "Returns", "Send it back.", fa=("مرجوعی کالا", "کالا را پس بفرستید.")
    )
    untranslated = add_article(app, agent.id, "Gift cards", "Buy one in the shop.")
    login_as(language="fa")
    page = client.get(f"/help/articles/{translated}").get_data(as_text=True)
    assert "مرجوعی کالا" in page and "کالا را پس بفرستید." in page and "Send it back." not in page
    fallback = client.get(f"/help/articles/{untranslated}").get_data(as_text=True)
    assert 'lang="en" dir="ltr"' in fallback and "Buy one in the shop." in fallback


def test_article_markdown_keeps_headings_below_the_title_and_drops_scripts(app, client, make_user):
    agent = make_user("agent")
    article_id = add_article(
        app,
        agent.id,
        "Safe text",
        "# Steps\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) [site](https://example.com)",
    )
    page = client.get(f"/help/articles/{article_id}").get_data(as_text=True)
    assert "<h2>Steps</h2>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page
    assert 'href="https://example.com"' in page


def test_publishing_announces_the_article_and_each_new_version(app, make_user):
    agent = make_user("agent")
    with events_emitted(app) as emitted:
        article_id = add_article(app, agent.id, "New feature")
    assert emitted == [ArticlePublished(article_id=article_id, version=1, audience="everyone")]


def test_an_overlong_search_is_explained_not_run(app, client):
    page = client.get("/help/search?q=" + "a" * 300)
    assert page.status_code == 200
    assert "Search for at most 200 characters." in page.get_data(as_text=True)
