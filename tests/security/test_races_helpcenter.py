"""The help center under simultaneous requests: one reader's answer to "Did this help?" counts once.

A double click, or the same vote sent from many tabs at once, must leave one answer per reader and
article, and the article's counts must equal the answers kept.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugins.helpcenter import service
from plugins.helpcenter.models import DRAFT, EVERYONE, PUBLISHED, Article, Feedback
from portal.accounts.models import User
from portal.events import StoredEvent
from portal.plugin import db
from portal.testing import csrf_token
from portal.testing.races import race, same_browser

pytestmark = pytest.mark.plugins("helpcenter")

ATTEMPTS = 8


def published_article(app, author_id: int, status: str = PUBLISHED) -> int:
    with app.app_context():
        author = db.session.get(User, author_id)
        article = service.save_article(
            None,
            title="How do I reset my password?",
            body="Choose **Forgot your password?** on the sign-in page.",
            translations=None,
            category_id=None,
            audience=EVERYONE,
            author=author,
        )
        service.set_status(article, status, author)
        db.session.commit()
        return article.id


def counts(app, article_id: int) -> tuple[int, int, int]:
    with app.app_context():
        article = db.session.get(Article, article_id)
        kept = db.session.scalar(
            select(func.count()).select_from(Feedback).where(Feedback.article_id == article_id)
        )
        return article.helpful, article.unhelpful, kept


@pytest.mark.parametrize("answers", [["yes"] * ATTEMPTS, ["yes", "no"] * (ATTEMPTS // 2)])
def test_one_readers_votes_sent_at_once_count_once(app, client, login_as, make_user, answers):
    author = make_user("agent")
    login_as("customer")
    article_id = published_article(app, author.id)
    tabs = same_browser(client, ATTEMPTS)
    tokens = [csrf_token(tab) for tab in tabs]
    url = f"/help/articles/{article_id}/feedback"
    statuses = race(
        ATTEMPTS,
        lambda n: tabs[n].post(url, data={"csrf_token": tokens[n], "helpful": answers[n]}).status_code,
    )
    assert all(isinstance(status, int) and status < 500 for status in statuses), statuses
    helpful, unhelpful, kept = counts(app, article_id)
    assert kept == 1
    assert helpful + unhelpful == 1


def test_publish_clicked_in_many_tabs_at_once_publishes_and_announces_once(app, client, login_as):
    agent = login_as("agent")
    article_id = published_article(app, agent.id, status=DRAFT)
    tabs = same_browser(client, ATTEMPTS)
    tokens = [csrf_token(tab) for tab in tabs]
    url = f"/staff/help/articles/{article_id}/status"
    statuses = race(
        ATTEMPTS, lambda n: tabs[n].post(url, data={"csrf_token": tokens[n], "status": PUBLISHED}).status_code
    )
    assert all(isinstance(status, int) and status < 500 for status in statuses), statuses
    with app.app_context():
        assert db.session.get(Article, article_id).status == PUBLISHED
        announced = db.session.scalar(
            select(func.count())
            .select_from(StoredEvent)
            .where(StoredEvent.name == "helpcenter.article_published")
        )
    assert announced == 1
