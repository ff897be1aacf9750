"""The help center as customers and visitors read it at /help: categories, search, articles, feedback.

Every page reads through ``access.visible_condition`` with whoever is reading, so nobody finds an
article meant for someone else, in a list, a search or by its id. Staff read everything and their
readings are not counted.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from portal.plugin import (
    ID_MAX,
    User,
    db,
    is_htmx_request,
    keyset_page,
    localized_with_language,
    public,
    reader_language,
    text_direction,
)

from . import search, service
from .access import is_staff, visible_article, visible_condition, visitors_may_read
from .blueprint import bp
from .feedback_form import FeedbackForm
from .models import Article, Category, Feedback

SEARCH_MAX = 200
PAGE_SIZE = 20
POPULAR_COUNT = 8
RELATED_COUNT = 5
VISITOR_VOTES_KEPT = 50
FROM_TICKET_FORM = "ticket-form"


def _reader() -> User | None:
    """The signed-in person, or ``None`` for a visitor; a visitor the help center is closed to signs in."""
    if current_user.is_authenticated:
        return current_user
    if not visitors_may_read():
        abort(redirect(url_for("auth.login", next=request.full_path)))
    return None


@bp.route("/")
@public
def index() -> str:
    """The help center's front page: a search box, the categories and the most-read articles."""
    reader = _reader()
    visible = visible_condition(reader)
    counts: dict[int | None, int] = {
        category_id: count
        for category_id, count in db.session.execute(
            select(Article.category_id, func.count()).where(visible).group_by(Article.category_id)
        )
    }
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()
    popular = db.session.scalars(
        select(Article).where(visible).order_by(Article.views.desc(), Article.id.desc()).limit(POPULAR_COUNT)
    ).all()
    return render_template(
        "helpcenter/index.html",
        categories=[
            (category, counts.get(category.id, 0)) for category in categories if counts.get(category.id)
        ],
        popular=popular,
        query="",
    )


@bp.route("/categories/<int:category_id>")
@public
def category(category_id: int) -> str:
    """The articles of one category in title order, a page at a time."""
    reader = _reader()
    shelf = db.session.get(Category, category_id) if category_id <= ID_MAX else None
    if shelf is None:
        abort(404)
    page = keyset_page(
        select(Article).where(visible_condition(reader), Article.category_id == shelf.id),
        [Article.title, Article.id],
        cursor=request.args.get("after"),
        size=PAGE_SIZE,
    )
    return render_template("helpcenter/category.html", category=shelf, page=page)


@bp.route("/search")
@public
def search_page() -> str:
    """Articles matching what the reader typed, best first; as a fragment for the live search box."""
    reader = _reader()
    query = request.args.get("q", "").strip()
    problem = None
    if len(query) > SEARCH_MAX:
        problem = _("Search for at most %(max)d characters.", max=SEARCH_MAX)
        results: list[Article] = []
    else:
        results = search.search_articles(query, visible_condition(reader), limit=PAGE_SIZE)
    excerpts = {article.id: search.excerpt(_localized(article, "body"), query) for article in results}
    template = "helpcenter/_results.html" if is_htmx_request() else "helpcenter/search.html"
    return render_template(template, query=query, results=results, excerpts=excerpts, problem=problem)


@bp.route("/articles/<int:article_id>")
@public
def article(article_id: int) -> str:
    """One article, its related articles and "Did this help?"; the reading is counted for non-staff."""
    reader = _reader()
    found = _readable(reader, article_id)
    if not is_staff(reader):
        from_form = request.args.get("from") == FROM_TICKET_FORM and reader is not None
        service.record_reading(found, reader, from_ticket_form=from_form)
        db.session.commit()
    return _article_page(reader, found, FeedbackForm(formdata=None))


@bp.route("/articles/<int:article_id>/feedback", methods=["POST"])
@public
def feedback(article_id: int) -> str | Response | tuple[str, int]:
    """Keep a reader's answer; a visitor answers once per article per visit and cannot leave a comment."""
    reader = _reader()
    found = _readable(reader, article_id)
    form = FeedbackForm()
    if not form.validate():
        return _article_page(reader, found, form), 400
    helpful = form.helpful.data == "yes"
    if reader is None:
        voted = session.get("helpcenter_voted", [])
        if found.id not in voted:
            service.record_feedback(found, None, helpful=helpful, comment="", language=reader_language())
            session["helpcenter_voted"] = [*voted, found.id][-VISITOR_VOTES_KEPT:]
    else:
        comment = (form.comment.data or "").strip()
        service.record_feedback(found, reader, helpful=helpful, comment=comment, language=reader_language())
    db.session.commit()
    thanks = (
        _("Thank you. We are glad it helped.")
        if helpful
        else _("Thank you. We will make this article better.")
    )
    if is_htmx_request():
        comment = (form.comment.data or "").strip() if reader is not None else ""
        return render_template("helpcenter/_feedback_thanks.html", thanks=thanks, comment=comment)
    flash(thanks, "success")
    return redirect(url_for("helpcenter.article", article_id=found.id, _anchor="feedback"))


def _readable(reader: User | None, article_id: int) -> Article:
    found = visible_article(reader, article_id)
    if found is None:
        abort(404)
    return found


def _article_page(reader: User | None, found: Article, form: FeedbackForm) -> str:
    visible = visible_condition(reader)
    answered, comment = None, ""
    if reader is not None:
        given = db.session.execute(
            select(Feedback.helpful, Feedback.comment).where(
                Feedback.article_id == found.id, Feedback.user_id == reader.id
            )
        ).first()
        if given is not None:
            answered, comment = given
    elif found.id in session.get("helpcenter_voted", []):
        answered = True
    body, body_language = localized_with_language(found, "body")
    return render_template(
        "helpcenter/article.html",
        article=found,
        body=body,
        body_language=body_language,
        # Set only when the body falls back to another language than the page's.
        body_direction=text_direction(body_language) if body_language != reader_language() else None,
        category=db.session.get(Category, found.category_id) if found.category_id else None,
        related=search.related_articles(found, visible, limit=RELATED_COUNT),
        form=form,
        answered=answered,
        comment=comment,
        may_comment=reader is not None,
    )


def _localized(article: Article, field: str) -> str:
    return localized_with_language(article, field)[0]
