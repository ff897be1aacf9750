"""Every change to the help center's data: saving, publishing, reading and rating articles.

Views and other modules change articles only through here, so each change keeps its version, its
search entries and its event in the caller's transaction. Nothing here commits.
"""

from __future__ import annotations

from sqlalchemy import select, update

from portal.plugin import User, db, record_audit_event, rows_matched, utcnow

from . import events, search
from .models import ARCHIVED, DRAFT, PUBLISHED, Article, ArticleVersion, Feedback, Reading


def save_article(
    article: Article | None,
    *,
    title: str,
    body: str,
    translations: dict[str, dict[str, str]] | None,
    category_id: int | None,
    audience: str,
    author: User,
    note: str = "",
) -> Article:
    """Create or change an article, keeping what it said before as a version staff can restore.

    A published article stays published: its readers see the new text at once, and the change is
    announced as a new version.
    """
    created = article is None
    if article is None:
        article = Article(status=DRAFT, author_id=author.id, version=0)
        db.session.add(article)
    article.title = title
    article.body = body
    article.translations = dict(translations or {})
    article.category_id = category_id
    article.audience = audience
    article.version += 1
    article.updated_at = utcnow()
    db.session.flush()
    db.session.add(
        ArticleVersion(
            article_id=article.id,
            number=article.version,
            title=title,
            body=body,
            translations=article.translations,
            note=note,
            author_id=author.id,
        )
    )
    search.index_article(article)
    record_audit_event(
        "helpcenter.article_saved",
        author.id,
        article_id=article.id,
        version=article.version,
        audience=article.audience,
        created=created,
    )
    if article.status == PUBLISHED:
        events.article_published(article.id, article.version, article.audience, author.id)
    return article


def restore_version(article: Article, version: ArticleVersion, author: User) -> Article:
    """Make an earlier version the article's text again, as a new version (history is never rewritten)."""
    return save_article(
        article,
        title=version.title,
        body=version.body,
        translations=version.translations,
        category_id=article.category_id,
        audience=article.audience,
        author=author,
        note=f"#{version.number}",
    )


def set_status(article: Article, status: str, actor: User) -> bool:
    """Publish, archive or return an article to draft; ``False`` if it already had that status.

    One conditional UPDATE, so of two clicks on Publish at once (two tabs, a double click) only one
    changes the status and announces ``helpcenter.article_published``.
    """
    if status not in (DRAFT, PUBLISHED, ARCHIVED):
        return False
    now = utcnow()
    values = {"status": status, "updated_at": now} | ({"published_at": now} if status == PUBLISHED else {})
    moved = rows_matched(
        update(Article)
        .where(Article.id == article.id, Article.status != status)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if not moved:
        return False
    db.session.refresh(article)
    record_audit_event("helpcenter.article_status_changed", actor.id, article_id=article.id, status=status)
    if status == PUBLISHED:
        events.article_published(article.id, article.version, article.audience, actor.id)
    return True


def record_reading(article: Article, reader: User | None, *, from_ticket_form: bool) -> Reading:
    """Count a reading: the view count, the reader's history, and the start of a possible deflection."""
    db.session.execute(update(Article).where(Article.id == article.id).values(views=Article.views + 1))
    reading = Reading(
        article_id=article.id,
        user_id=reader.id if reader is not None else None,
        from_ticket_form=from_ticket_form and reader is not None,
    )
    db.session.add(reading)
    db.session.flush()
    return reading


def record_feedback(
    article: Article, reader: User | None, *, helpful: bool, comment: str, language: str
) -> Feedback:
    """Keep a reader's answer to "Did this help?" and settle their open reading from the ticket form.

    A signed-in reader has one answer per article: answering again replaces the first, so the counts
    stay one per person. The article's row is locked first, so the same vote sent from several tabs at
    once is read and counted one after the other, never twice as a first answer.
    """
    earlier = None
    if reader is not None:
        # A write that changes nothing: PostgreSQL's row lock, SQLite's single writer, until commit.
        db.session.execute(
            update(Article)
            .where(Article.id == article.id)
            .values(helpful=Article.helpful)
            .execution_options(synchronize_session=False)
        )
        earlier = db.session.scalar(
            select(Feedback).where(Feedback.article_id == article.id, Feedback.user_id == reader.id)
        )
    if earlier is not None:
        _count(article, earlier.helpful, -1)
        earlier.helpful, earlier.comment, earlier.language = helpful, comment, language
        earlier.created_at = utcnow()
        feedback = earlier
    else:
        feedback = Feedback(
            article_id=article.id,
            user_id=reader.id if reader is not None else None,
            helpful=helpful,
            comment=comment,
            language=language,
        )
        db.session.add(feedback)
    _count(article, helpful, 1)
    from_form = False
    if reader is not None:
        from_form = _settle_form_reading(article.id, reader.id, helpful)
    db.session.flush()
    events.feedback_given(article.id, helpful, from_form, reader.id if reader is not None else None)
    return feedback


def _count(article: Article, helpful: bool, step: int) -> None:
    column = Article.helpful if helpful else Article.unhelpful
    db.session.execute(update(Article).where(Article.id == article.id).values({column: column + step}))


def _settle_form_reading(article_id: int, reader_id: int, helpful: bool) -> bool:
    """Settle the reader's latest open reading of this article from the ticket form; whether there was one."""
    reading = db.session.scalar(
        select(Reading)
        .where(
            Reading.article_id == article_id,
            Reading.user_id == reader_id,
            Reading.from_ticket_form.is_(True),
            Reading.outcome.is_(None),
        )
        .order_by(Reading.id.desc())
        .limit(1)
    )
    if reading is None:
        return False
    reading.outcome = "helped" if helpful else "not_helped"
    return True
