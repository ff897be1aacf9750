"""Who may read which article: the one rule every page, search and suggestion goes through.

A customer reads published articles for everyone, for all customers, for their organization, or for a
segment they are in. Staff read the public pages as any signed-in customer does (published, for
everyone or all customers); drafts, archived and narrower audiences they reach through the staff pages,
where nothing is hidden from them. A visitor who is not signed in reads published articles
for everyone, and only while the administrator lets visitors in (setting ``public``). A segment key
that no longer resolves (an organization that is gone, a plugin switched off) is read by staff only.
The rule is one SQL condition, so a list or a search costs the same however many audiences exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select

from portal.plugin import ID_MAX, User, audience_condition, db, get_setting

from .models import ALL_CUSTOMERS, EVERYONE, PUBLISHED, Article


def is_staff(user: User | None) -> bool:
    return user is not None and user.role in ("agent", "admin")


def visitors_may_read() -> bool:
    """Whether the help center is open to people who are not signed in (the administrator's choice)."""
    return bool(get_setting("helpcenter", "public"))


def visible_condition(user: User | None) -> ColumnElement[bool]:
    """The articles ``user`` (``None`` for a visitor) may read, as a condition on ``Article``."""
    published = Article.status == PUBLISHED
    if user is None:
        return and_(published, Article.audience == EVERYONE) if visitors_may_read() else false()
    if is_staff(user):
        return and_(published, Article.audience.in_((EVERYONE, ALL_CUSTOMERS)))
    return and_(
        published,
        or_(Article.audience == EVERYONE, audience_condition(user, Article.audience, among=published)),
    )


def visible_article(user: User | None, article_id: int) -> Article | None:
    """The article if ``user`` may read it; ``None`` (answer 404) otherwise, and for unknown ids."""
    if not 0 < article_id <= ID_MAX:
        return None
    return db.session.scalar(select(Article).where(Article.id == article_id, visible_condition(user)))
