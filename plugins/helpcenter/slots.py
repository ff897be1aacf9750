"""What the help center adds to the tickets plugin's pages, through the slots it renders.

On the new-ticket form: articles matching the subject while the customer types (``tickets.new_ticket_form``)
and, when they send the form without having seen any, a "Check these first" panel before the ticket is
opened (``tickets.before_open``). On an agent's ticket page: a search that inserts links to articles
into the reply (``tickets.staff_reply_tools``) and, under each answer sent to the customer, a button
that turns it into a draft article (``tickets.staff_message_tools``). docs/plugins.md lists the slots.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import render_template, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import and_

from portal.plugin import localized

from . import search
from .access import is_staff, visible_condition
from .answer_form import AnswerForm
from .models import PUBLISHED, Article
from .settings import suggest_on_ticket_form

SUGGESTIONS_MAX = 5
SUGGEST_TERM_MAX = 500  # the first words are what the search uses; the rest of a long message is noise
# The field the ticket form reads to know the customer was shown suggestions (docs/plugins.md).
SEEN_FIELD = "suggestions_seen"
LINK_SEARCH_MAX = 200


def template_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """The help center's part of the slot ``slot``, or ``None`` for slots it does not fill."""
    if slot == "tickets.new_ticket_form":
        return _live_suggestions(context)
    if slot == "tickets.before_open":
        return _check_first(context)
    if slot == "tickets.staff_reply_tools":
        return _reply_tools(context)
    if slot == "tickets.staff_message_tools":
        return _answer_to_article(context)
    return None


def suggestions_for(term: str) -> tuple[list[Article], dict[int, str]]:
    """The articles the signed-in customer may read that match ``term``, with an excerpt of each."""
    term = term[:SUGGEST_TERM_MAX]
    # Published only, whoever asks: staff may read drafts, but a draft never answers anyone's question.
    visible = and_(visible_condition(current_user), Article.status == PUBLISHED)
    articles = search.search_articles(term, visible, limit=SUGGESTIONS_MAX)
    return articles, {article.id: search.excerpt(localized(article, "body"), term) for article in articles}


def _customer_form_page() -> bool:
    return suggest_on_ticket_form() and current_user.is_authenticated and not is_staff(current_user)


def _live_suggestions(context: dict[str, Any]) -> Markup | None:
    if not _customer_form_page():
        return None
    articles, excerpts = suggestions_for(str(context.get("subject") or ""))
    return _rendered(
        "helpcenter/_suggestions.html",
        field_id=str(context.get("subject_field_id") or "subject"),
        articles=articles,
        excerpts=excerpts,
        seen_field=SEEN_FIELD,
    )


def _check_first(context: dict[str, Any]) -> Markup | None:
    if not _customer_form_page():
        return None
    articles, excerpts = suggestions_for(f"{context.get('subject') or ''} {context.get('body') or ''}")
    if not articles:
        return None
    return _rendered("helpcenter/_check_first.html", articles=articles, excerpts=excerpts)


def _reply_tools(context: dict[str, Any]) -> Markup | None:
    if not is_staff(current_user):
        return None
    return _rendered(
        "helpcenter/_agent_tools.html",
        reply_field_id=str(context.get("reply_field_id") or "body"),
        search_max=LINK_SEARCH_MAX,
    )


def _answer_to_article(context: dict[str, Any]) -> Markup | None:
    """Under an answer the customer read (not the customer's messages, not internal notes)."""
    if not is_staff(current_user) or not context.get("from_staff") or context.get("internal"):
        return None
    form = AnswerForm(
        formdata=None,
        title=str(context.get("subject") or ""),
        body=str(context.get("body") or ""),
        back=_this_page(),
    )
    return _rendered("helpcenter/_answer_to_article.html", form=form)


def _this_page() -> str:
    """The page to come back to: this one, or for a page answering a form (a refused reply) its page."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    return f"{referrer.path}?{referrer.query}" if referrer.query else referrer.path


def _rendered(template: str, **context: Any) -> Markup:
    return Markup(render_template(template, **context))  # noqa: S704  (autoescaped template output)
