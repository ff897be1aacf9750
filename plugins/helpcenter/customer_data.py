"""The customer's side of the help center's data: the 360° panel, export, erasure and the demo articles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from portal.plugin import Panel, User, db, localized, set_translations, utcnow

from . import demo_articles, service
from .models import PUBLISHED, Article, Category, Feedback, Reading
from .settings import deflection_hours

PANEL_ROWS = 10


def customer_panels(customer: User) -> list[Panel]:
    """What the customer read lately, how each reading from the ticket form ended, and what they said."""
    readings = db.session.execute(
        select(Reading, Article)
        .join(Article, Article.id == Reading.article_id)
        .where(Reading.user_id == customer.id)
        .order_by(Reading.id.desc())
        .limit(PANEL_ROWS)
    ).all()
    feedback = db.session.execute(
        select(Feedback, Article)
        .join(Article, Article.id == Feedback.article_id)
        .where(Feedback.user_id == customer.id)
        .order_by(Feedback.id.desc())
        .limit(PANEL_ROWS)
    ).all()
    count = db.session.scalar(select(func.count()).select_from(Reading).where(Reading.user_id == customer.id))
    return [
        Panel(
            name="helpcenter.readings",
            title=_l("Help articles read"),
            template="helpcenter/customer_panel.html",
            context={
                "readings": readings,
                "feedback": feedback,
                "count": count or 0,
                "window_start": utcnow() - timedelta(hours=deflection_hours()),
            },
            order=70,
        )
    ]


def export(user: User) -> dict[str, Any] | None:
    """The articles the customer read and their answers to "Did this help?", titles in their language."""
    readings = db.session.execute(
        select(Reading, Article)
        .join(Article, Article.id == Reading.article_id)
        .where(Reading.user_id == user.id)
        .order_by(Reading.id)
    ).all()
    feedback = db.session.execute(
        select(Feedback, Article)
        .join(Article, Article.id == Feedback.article_id)
        .where(Feedback.user_id == user.id)
        .order_by(Feedback.id)
    ).all()
    if not readings and not feedback:
        return None
    language = user.language
    return {
        "readings": [
            {
                "article": localized(article, "title", language),
                "at": reading.created_at.isoformat(),
                "from_ticket_form": reading.from_ticket_form,
                "outcome": reading.outcome,
            }
            for reading, article in readings
        ],
        "feedback": [
            {
                "article": localized(article, "title", language),
                "helpful": answer.helpful,
                "comment": answer.comment,
                "at": answer.created_at.isoformat(),
            }
            for answer, article in feedback
        ],
    }


def erase(user: User) -> None:
    """Their readings and answers go; the articles keep their counts, which name nobody."""
    db.session.execute(delete(Reading).where(Reading.user_id == user.id))
    db.session.execute(delete(Feedback).where(Feedback.user_id == user.id))


def add_demo(customers: list[User]) -> None:
    """Three categories and their articles in English and Persian, each added only if it is missing.

    The articles are written as the first administrator (else agent), as staff would write them; a
    database without staff gets the categories only.
    """
    shelves = {shelf.name: shelf for shelf in db.session.scalars(select(Category))}
    for demo in demo_articles.CATEGORIES:
        if demo.name not in shelves:
            shelf = Category(name=demo.name, position=demo.position)
            set_translations(shelf, {"fa": {"name": demo.name_fa}})
            db.session.add(shelf)
            shelves[demo.name] = shelf
    db.session.flush()
    author = db.session.scalar(
        select(User)
        .where(User.role.in_(("admin", "agent")), User.is_integration.is_(False))
        .order_by(User.role == "agent", User.id)
        .limit(1)
    )
    if author is None:
        return
    written = set(db.session.scalars(select(Article.title)))
    for demo_article in demo_articles.ARTICLES:
        if demo_article.title in written:
            continue
        article = service.save_article(
            None,
            title=demo_article.title,
            body=demo_article.body,
            translations={"fa": {"title": demo_article.title_fa, "body": demo_article.body_fa}},
            category_id=shelves[demo_article.category].id,
            audience=demo_article.audience,
            author=author,
        )
        service.set_status(article, PUBLISHED, author)
