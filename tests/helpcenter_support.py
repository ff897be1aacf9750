"""Shared helpers of the help center's tests: writing and publishing articles as staff would."""

from __future__ import annotations

from flask import Flask

from plugins.helpcenter import service
from plugins.helpcenter.models import EVERYONE, PUBLISHED
from portal.plugin import User, db


def add_article(
    app: Flask,
    author_id: int,
    title: str,
    body: str = "",
    *,
    fa: tuple[str, str] | None = None,
    audience: str = EVERYONE,
    status: str = PUBLISHED,
    category_id: int | None = None,
) -> int:
    """An article saved and (by default) published through the service, committed; its id."""
    with app.app_context():
        author = db.session.get(User, author_id)
        assert author is not None
        translations = {"fa": {"title": fa[0], "body": fa[1]}} if fa else None
        article = service.save_article(
            None,
            title=title,
            body=body or f"About {title}.",
            translations=translations,
            category_id=category_id,
            audience=audience,
            author=author,
        )
        service.set_status(article, status, author)
        db.session.commit()
        return article.id
