"""The events the help center emits, declared as types (ids and plain values only).
docs/events.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask import url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import DomainEvent, Event, emit, sentence


class _ArticleEvent(DomainEvent):
    """The events about one article, which all link to the article's staff page."""

    article_id: int

    def link(self) -> str | None:
        return url_for("helpcenter_staff.edit", article_id=self.article_id)


@dataclass(frozen=True)
class ArticlePublished(_ArticleEvent):
    """An article became readable by its audience (``everyone``, ``all-customers`` or a segment key).

    Emitted again when a published article's text changes, with the new ``version``, so a plugin that
    tells customers about new answers hears of updates too.
    """

    name: ClassVar[str] = "helpcenter.article_published"
    label: ClassVar[LazyString] = _l("A help article was published")
    article_id: int
    version: int
    audience: str

    @property
    def fact(self) -> str:
        return f"published:{self.article_id}:{self.version}"

    def describe(self) -> Markup:
        return sentence(_("Help article #%(article)s was published."), article=self.article_id)


@dataclass(frozen=True)
class ArticleFeedback(_ArticleEvent):
    """A reader answered "Did this help?"; the event's ``customer_id`` is the reader when signed in.

    ``from_ticket_form`` says the reader came from the suggestions of the new-ticket form, so a
    ``helpful`` answer there is a question that did not become a ticket.
    """

    name: ClassVar[str] = "helpcenter.feedback"
    label: ClassVar[LazyString] = _l("A reader said whether a help article helped")
    article_id: int
    helpful: bool
    from_ticket_form: bool

    def describe(self) -> Markup:
        if self.helpful:
            return sentence(_("Said help article #%(article)s helped."), article=self.article_id)
        return sentence(_("Said help article #%(article)s did not help."), article=self.article_id)


EVENT_TYPES: list[type[DomainEvent]] = [ArticlePublished, ArticleFeedback]


def article_published(article_id: int, version: int, audience: str, actor_id: int) -> Event:
    """Announce an article (or a new version of one) its audience can now read."""
    return emit(
        ArticlePublished(article_id=article_id, version=version, audience=audience), actor_id=actor_id
    )


def feedback_given(article_id: int, helpful: bool, from_ticket_form: bool, reader_id: int | None) -> Event:
    """Announce a reader's answer to "Did this help?"."""
    return emit(
        ArticleFeedback(article_id=article_id, helpful=helpful, from_ticket_form=from_ticket_form),
        customer_id=reader_id,
        actor_id=reader_id,
    )
