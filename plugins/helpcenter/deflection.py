"""Deflection: how often an article suggested on the new-ticket form answered the question instead.

A reading counts here when the customer opened the article from the ticket form's suggestions
(``Reading.from_ticket_form``, recorded by the article page). It is settled once, by the first of:

- the reader's answer to "Did this help?" (``service.record_feedback``): ``helped`` or ``not_helped``;
- a ticket the same customer opens (``tickets.created``) within ``deflection_hours`` after the reading:
  ``ticket``, with the ticket's id. Only readings not settled yet change: a reading already marked
  ``helped`` stays helped, since the customer said it answered them and the ticket may be about
  something else; one marked ``not_helped`` already counts against the article.

A reading nobody settled is *waiting* while the window is open and *answered* once it has passed:
the question did not become a ticket. The deflection rate is answered / (answered + ticket +
not helped); waiting readings are left out until they are decided. Every figure is one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update

from portal.plugin import Event, db, utcnow

from .models import Article, Feedback, Reading
from .settings import deflection_hours

HELPED, TICKET, NOT_HELPED = "helped", "ticket", "not_helped"
COMMENTS_PER_ARTICLE = 5


@dataclass(frozen=True)
class DeflectionFigures:
    """Readings from the ticket form since a moment, by how they ended."""

    answered: int
    ticket: int
    not_helped: int
    waiting: int

    @property
    def decided(self) -> int:
        return self.answered + self.ticket + self.not_helped

    @property
    def rate(self) -> float | None:
        """The share of decided readings that answered the question; ``None`` before any is decided."""
        return self.answered / self.decided if self.decided else None


@dataclass(frozen=True)
class FailedArticle:
    """An article read from the ticket form that was followed by a ticket or said not to help."""

    article: Article
    tickets: int
    not_helped: int

    @property
    def total(self) -> int:
        return self.tickets + self.not_helped


def handle_event(event: Event) -> None:
    """Settle the customer's open readings from the ticket form when they open a ticket after all.

    Keyed on the readings' state, so a repeated delivery changes nothing: the readings it would
    settle are settled already. The window is measured back from when the ticket was opened, not
    from when the event arrives.
    """
    if event.name != "tickets.created":
        return
    ticket_id = getattr(event.data, "ticket_id", None)
    customer_id = getattr(event.data, "customer_id", None)
    if ticket_id is None or customer_id is None:
        return
    opened = event.created_at
    db.session.execute(
        update(Reading)
        .where(
            Reading.user_id == customer_id,
            Reading.from_ticket_form.is_(True),
            Reading.outcome.is_(None),
            Reading.created_at >= opened - timedelta(hours=deflection_hours()),
            Reading.created_at <= opened,
        )
        .values(outcome=TICKET, ticket_id=ticket_id)
        .execution_options(synchronize_session=False)
    )


def deflection_figures(since: datetime, until: datetime | None = None) -> DeflectionFigures:
    """How the readings from the ticket form made from ``since`` (up to ``until``) ended, in one query."""
    window_start = utcnow() - timedelta(hours=deflection_hours())
    unsettled = Reading.outcome.is_(None)
    answered = or_(Reading.outcome == HELPED, and_(unsettled, Reading.created_at < window_start))
    waiting = and_(unsettled, Reading.created_at >= window_start)
    row = db.session.execute(
        select(
            _count_where(answered),
            _count_where(Reading.outcome == TICKET),
            _count_where(Reading.outcome == NOT_HELPED),
            _count_where(waiting),
        ).where(*_form_readings(since, until))
    ).one()
    return DeflectionFigures(
        answered=int(row[0]), ticket=int(row[1]), not_helped=int(row[2]), waiting=int(row[3])
    )


def failed_articles(since: datetime, limit: int) -> list[FailedArticle]:
    """The articles most often followed by a ticket or "did not help" since ``since``, worst first."""
    tickets = _count_where(Reading.outcome == TICKET)
    not_helped = _count_where(Reading.outcome == NOT_HELPED)
    rows = db.session.execute(
        select(Article, tickets, not_helped)
        .join(Reading, Reading.article_id == Article.id)
        .where(*_form_readings(since, None), Reading.outcome.in_((TICKET, NOT_HELPED)))
        .group_by(Article.id)
        .order_by(func.count().desc(), Article.id.desc())
        .limit(limit)
    ).all()
    return [FailedArticle(article=row[0], tickets=int(row[1]), not_helped=int(row[2])) for row in rows]


def unhelpful_comments(article_ids: list[int], since: datetime) -> dict[int, list[Feedback]]:
    """The newest comments readers left with "did not help" on each of these articles, in one query."""
    if not article_ids:
        return {}
    newest = (
        func.row_number()
        .over(partition_by=Feedback.article_id, order_by=(Feedback.created_at.desc(), Feedback.id.desc()))
        .label("newest")
    )
    ranked = (
        select(Feedback.id, newest)
        .where(
            Feedback.article_id.in_(article_ids),
            Feedback.helpful.is_(False),
            Feedback.comment != "",
            Feedback.created_at >= since,
        )
        .subquery()
    )
    comments = db.session.scalars(
        select(Feedback)
        .join(ranked, ranked.c.id == Feedback.id)
        .where(ranked.c.newest <= COMMENTS_PER_ARTICLE)
        .order_by(Feedback.article_id, Feedback.created_at.desc(), Feedback.id.desc())
    )
    by_article: dict[int, list[Feedback]] = {}
    for comment in comments:
        by_article.setdefault(comment.article_id, []).append(comment)
    return by_article


def _form_readings(since: datetime, until: datetime | None) -> list[ColumnElement[bool]]:
    conditions = [Reading.from_ticket_form.is_(True), Reading.created_at >= since]
    if until is not None:
        conditions.append(Reading.created_at < until)
    return conditions


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
