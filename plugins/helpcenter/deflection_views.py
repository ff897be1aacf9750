"""The help center's views beside tickets: suggestions on the ticket form, and the agents' article tools.

``suggestions`` answers the new-ticket form's live search; ``deflection`` is the staff page behind the
dashboard figure; ``article_links`` and ``draft_from_answer`` serve the tools on an agent's ticket page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.plugin import agent, customer, db, external_url, is_htmx_request, local_path, utcnow

from . import deflection, search, service
from .answer_form import AnswerForm
from .blueprint import bp, staff_bp
from .models import ALL_CUSTOMERS, PUBLISHED, Article
from .settings import deflection_hours, suggest_on_ticket_form
from .slots import LINK_SEARCH_MAX, SEEN_FIELD, suggestions_for

LINKS_MAX = 10
FAILED_MAX = 20
PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30


@bp.route("/suggestions")
@customer
def suggestions() -> str:
    """Articles matching the subject the customer is typing on the new-ticket form, as a fragment."""
    subject = request.args.get("subject", "").strip()
    if not suggest_on_ticket_form():
        subject = ""
    articles, excerpts = suggestions_for(subject)
    return render_template(
        "helpcenter/_suggestion_list.html", articles=articles, excerpts=excerpts, seen_field=SEEN_FIELD
    )


@staff_bp.route("/deflection", endpoint="deflection")
@agent
def deflection_page() -> str:
    """How often suggested articles answered the question, and the articles that failed to, with comments."""
    days = request.args.get("days", type=int)
    if days not in PERIODS:
        days = DEFAULT_DAYS
    since = utcnow() - timedelta(days=days)
    failed = deflection.failed_articles(since, FAILED_MAX)
    return render_template(
        "helpcenter/staff_deflection.html",
        days=days,
        periods=PERIODS,
        figures=deflection.deflection_figures(since),
        failed=failed,
        comments=deflection.unhelpful_comments([row.article.id for row in failed], since),
        window_hours=deflection_hours(),
    )


@staff_bp.route("/article-links")
@agent
def article_links() -> str:
    """Published articles matching what the agent typed, each with the Markdown link to put in a reply.

    The htmx search beside the reply box gets the list alone; without JavaScript the search opens
    this page in a new tab, so the draft stays where it was and the link is copied from here.
    """
    query = request.args.get("q", "").strip()
    problem = None
    links: list[tuple[Article, str]] = []
    if len(query) > LINK_SEARCH_MAX:
        problem = _("Search for at most %(max)d characters.", max=LINK_SEARCH_MAX)
    elif query:
        found = search.search_articles(query, Article.status == PUBLISHED, limit=LINKS_MAX)
        links = [(article, _markdown_link(article)) for article in found]
    fragment = is_htmx_request()
    return render_template(
        "helpcenter/_article_links.html" if fragment else "helpcenter/staff_article_links.html",
        query=query,
        links=links,
        problem=problem,
        search_max=LINK_SEARCH_MAX,
        buttons=fragment,
    )


@staff_bp.route("/draft-from-answer", methods=["POST"])
@agent
def draft_from_answer() -> Response:
    """Start an article from an answer an agent gave on a ticket: a draft, for the team to review."""
    form = AnswerForm()
    back = local_path(form.back.data)
    if not form.validate_on_submit():
        if back is None:
            abort(400)
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
        return redirect(back)
    article = service.save_article(
        None,
        title=form.title.data,
        body=form.body.data,
        translations=None,
        category_id=None,
        audience=ALL_CUSTOMERS,
        author=current_user,
        note=_("From an answer on a ticket"),
    )
    db.session.commit()
    flash(
        _("This draft was made from your answer. Review it, then publish it when it reads well for all."),
        "success",
    )
    return redirect(url_for("helpcenter_staff.edit", article_id=article.id))


def _markdown_link(article: Article) -> str:
    """``[Title](address)``, with the brackets a title may hold escaped so the link stays one link."""
    title = article.title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"[{title}]({external_url('helpcenter.article', article_id=article.id)})"
