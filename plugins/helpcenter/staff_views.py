"""The staff side of the help center at /staff/help: the articles, writing them, their status and history.

Agents and administrators write and publish alike, as in most help desks: the people who answer
tickets know which answers are missing. Every change goes through ``service`` (versions, search
index, events) and is committed here; a refused form changes nothing and keeps what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.plugin import (
    ID_MAX,
    ButtonForm,
    User,
    agent,
    all_segments,
    db,
    isolated_text,
    keyset_page,
    store_translations,
    text_direction,
    translation_data,
)

from . import search, service
from .blueprint import staff_bp
from .forms import ARTICLE_TEXTS, ArticleForm, StatusForm, article_form
from .models import (
    ALL_CUSTOMERS,
    ARCHIVED,
    EVERYONE,
    PUBLISHED,
    STATUSES,
    Article,
    ArticleVersion,
    Category,
    Feedback,
)

PAGE_SIZE = 30
SEARCH_MAX = 200
VERSIONS_PAGE = 50
COMMENTS_SHOWN = 10
NO_CATEGORY = "none"


def _article_or_404(article_id: int) -> Article:
    article = db.session.get(Article, article_id) if 0 < article_id <= ID_MAX else None
    if article is None:
        abort(404)
    return article


def audience_labels() -> dict[str, str]:
    """Every audience an article may have now, by key, in the words staff choose it by."""
    labels = {EVERYONE: _("Everyone"), ALL_CUSTOMERS: _("Signed-in customers")}
    for segment in all_segments():
        labels.setdefault(segment.key, str(segment.label))
    return labels


def audience_words(key: str, labels: dict[str, str]) -> str:
    """An article's audience in words; a group that is gone (or whose plugin is off) leaves it to staff."""
    return labels.get(key) or _("Staff only: the group %(key)s no longer exists", key=key)


def _categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name, Category.id)))


# --- the list ----------------------------------------------------------------------------------------


@staff_bp.route("/")
@agent
def index() -> str:
    """Every article, latest change first, filtered by status and category; a title search ranks instead."""
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    category = request.args.get("category", "")[:12]
    query = request.args.get("q", "").strip()
    conditions: list[ColumnElement[bool]] = []
    if status:
        conditions.append(Article.status == status)
    if category == NO_CATEGORY:
        conditions.append(Article.category_id.is_(None))
    elif category:
        number = int(category) if category.isascii() and category.isdigit() else 0
        conditions.append(Article.category_id == (number if 0 < number <= ID_MAX else 0))
    problem = None
    page = None
    results: list[Article] = []
    if len(query) > SEARCH_MAX:
        problem = _("Search for at most %(max)d characters.", max=SEARCH_MAX)
    elif query:
        results = search.search_articles(query, and_(true(), *conditions), limit=search.RESULTS_MAX)
    else:
        page = keyset_page(
            select(Article).where(*conditions),
            [Article.updated_at, Article.id],
            cursor=request.args.get("cursor"),
            size=PAGE_SIZE,
            descending=True,
        )
        results = page.items
    categories = _categories()
    return render_template(
        "helpcenter/staff_index.html",
        articles=results,
        page=page,
        status=status,
        category=category,
        query=query,
        problem=problem,
        categories=categories,
        category_names={shelf.id: shelf.name for shelf in categories},
        audiences=audience_labels(),
        audience_words=audience_words,
        statuses=STATUSES,
    )


# --- writing -----------------------------------------------------------------------------------------


@staff_bp.route("/new", methods=["GET", "POST"])
@agent
def new() -> str | Response | tuple[str, int]:
    """Write a new article; it starts as a draft only staff can read."""
    form = article_form()(data={"audience": EVERYONE})
    return _write(None, form)


@staff_bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
@agent
def edit(article_id: int) -> str | Response | tuple[str, int]:
    """Change an article; each save is a new version, and a published article shows it at once."""
    article = _article_or_404(article_id)
    data = {
        "title": article.title,
        "body": article.body,
        "category": str(article.category_id or ""),
        "audience": article.audience,
        "based_on": str(article.version),
    } | translation_data(article, ARTICLE_TEXTS)
    return _write(article, article_form()(data=data))


def _write(article: Article | None, form: ArticleForm) -> str | Response | tuple[str, int]:
    """Show the form, preview what was typed, or save it: the one flow of "new" and "edit"."""
    categories = _categories()
    labels = audience_labels()
    form.category.choices = [SelectChoice("", _("No category"))] + [
        SelectChoice(str(shelf.id), isolated_text(shelf.name)) for shelf in categories
    ]
    audiences = [SelectChoice(key, label) for key, label in labels.items()]
    if article is not None and article.audience not in labels:
        audiences.append(SelectChoice(article.audience, audience_words(article.audience, labels)))
    form.audience.choices = audiences
    preview = None
    conflict = False
    if form.validate_on_submit() and _choices_hold(form, {choice.value for choice in audiences}):
        text = _typed(form, article)
        started_from = form.based_on.data or ""
        conflict = article is not None and started_from not in ("", str(article.version))
        if "preview" in request.form:
            preview = text
        elif article is not None and text.same_as(article):
            flash(_("Nothing changed, so no new version was saved."), "info")
            return redirect(url_for("helpcenter_staff.edit", article_id=article.id), 303)
        elif not conflict:
            saved = _save(article, text, (form.note.data or "").strip())
            if saved is not None:
                flash(_saved_message(saved, created=article is None), "success")
                return redirect(url_for("helpcenter_staff.edit", article_id=saved.id), 303)
            conflict = True
    if article is not None and conflict:
        db.session.refresh(article)
        # Saving again means "mine over theirs", having seen the warning.
        form.based_on.data = str(article.version)
    page = render_template(
        "helpcenter/staff_edit.html",
        form=form,
        article=article,
        preview=preview,
        conflict=conflict,
        status_form=StatusForm(formdata=None),
        comments=_latest_comments(article) if article is not None else [],
        audience=audience_words(article.audience, labels) if article is not None else "",
        category=next((shelf for shelf in categories if article and shelf.id == article.category_id), None),
        text_direction=text_direction,
    )
    return (page, 422) if form.is_submitted() and preview is None else page


def _save(article: Article | None, text: _Typed, note: str) -> Article | None:
    """Save and commit; ``None`` when someone else saved the same article at the same moment."""
    try:
        saved = service.save_article(
            article,
            title=text.title,
            body=text.body,
            translations=text.translations,
            category_id=text.category_id,
            audience=text.audience,
            author=current_user,
            note=note,
        )
        db.session.commit()
    except IntegrityError:  # the same version number, taken by a save that committed first
        db.session.rollback()
        return None
    return saved


def _choices_hold(form: ArticleForm, audiences: set[str]) -> bool:
    """Whether the category and audience chosen still exist; if not, a message on the field."""
    chosen = form.category.data or ""
    if chosen and chosen not in {choice.value for choice in form.category.choices or []}:
        form.category.errors = [_("That category no longer exists; choose another.")]
    if form.audience.data not in audiences:
        form.audience.errors = [_("Choose who may read it from the list.")]
    return not form.category.errors and not form.audience.errors


@dataclass(frozen=True)
class _Typed:
    """An article as the form says it, in the shape ``service.save_article`` takes."""

    title: str
    body: str
    translations: dict[str, dict[str, str]]
    category_id: int | None
    audience: str

    def same_as(self, article: Article) -> bool:
        """Whether saving would change nothing a reader or the history would notice."""
        return (self.title, self.body, self.translations, self.category_id, self.audience) == (
            article.title,
            article.body,
            article.translations or {},
            article.category_id,
            article.audience,
        )


def _typed(form: ArticleForm, article: Article | None) -> _Typed:
    """What the form says, line ends unified (browsers send CRLF), translations merged as stored."""
    holder = SimpleNamespace(translations=article.translations if article is not None else None)
    store_translations(form, holder)
    return _Typed(
        title=form.title.data.strip(),
        body=form.body.data.replace("\r\n", "\n"),
        translations={
            language: {field: text.replace("\r\n", "\n") for field, text in texts.items()}
            for language, texts in (holder.translations or {}).items()
        },
        category_id=int(form.category.data) if form.category.data else None,
        audience=form.audience.data,
    )


def _saved_message(article: Article, *, created: bool) -> str:
    if created:
        return _("Saved as a draft: only staff can read it until you publish it.")
    if article.status == PUBLISHED:
        return _("Saved as version %(number)s: its readers see the change now.", number=article.version)
    return _("Saved as version %(number)s.", number=article.version)


def _latest_comments(article: Article) -> list[tuple[Feedback, User | None]]:
    """What readers last said about the article, for its author to act on."""
    rows = db.session.execute(
        select(Feedback, User)
        .outerjoin(User, User.id == Feedback.user_id)
        .where(Feedback.article_id == article.id, Feedback.comment != "")
        .order_by(Feedback.id.desc())
        .limit(COMMENTS_SHOWN)
    ).all()
    return [(row.Feedback, row.User) for row in rows]


# --- status ------------------------------------------------------------------------------------------


@staff_bp.route("/articles/<int:article_id>/status", methods=["POST"])
@agent
def change_status(article_id: int) -> Response:
    """Publish, archive, or take an article back to draft."""
    article = _article_or_404(article_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("The form expired or the button was not one of ours; please try again."), "error")
    elif service.set_status(article, form.status.data, current_user):
        db.session.commit()
        flash(_status_message(form.status.data), "success")
    else:
        flash(_("Nothing changed: the article already had that status."), "info")
    return redirect(url_for("helpcenter_staff.edit", article_id=article.id), 303)


def _status_message(status: str) -> str:
    if status == PUBLISHED:
        return _("Published: its readers can find it now.")
    if status == ARCHIVED:
        return _("Archived: only staff can read it now.")
    return _("Back to draft: only staff can read it now.")


# --- versions ----------------------------------------------------------------------------------------


@staff_bp.route("/articles/<int:article_id>/versions")
@agent
def versions(article_id: int) -> str:
    """Every saved version of an article, newest first, with who saved it and why."""
    article = _article_or_404(article_id)
    page = keyset_page(
        select(ArticleVersion, User.name)
        .outerjoin(User, User.id == ArticleVersion.author_id)
        .where(ArticleVersion.article_id == article.id),
        [ArticleVersion.number],
        cursor=request.args.get("cursor"),
        size=VERSIONS_PAGE,
        descending=True,
        scalars=False,
    )
    return render_template("helpcenter/staff_versions.html", article=article, page=page, form=ButtonForm())


def _version_or_404(article: Article, number: int) -> ArticleVersion:
    version = None
    if 0 < number <= ID_MAX:
        version = db.session.scalar(
            select(ArticleVersion).where(
                ArticleVersion.article_id == article.id, ArticleVersion.number == number
            )
        )
    if version is None:
        abort(404)
    return version


@staff_bp.route("/articles/<int:article_id>/versions/<int:number>")
@agent
def version(article_id: int, number: int) -> str:
    """One saved version as readers saw it, to compare with now before restoring it."""
    article = _article_or_404(article_id)
    found = _version_or_404(article, number)
    author = db.session.get(User, found.author_id) if found.author_id else None
    return render_template(
        "helpcenter/staff_version.html", article=article, version=found, author=author, form=ButtonForm()
    )


@staff_bp.route("/articles/<int:article_id>/versions/<int:number>/restore", methods=["POST"])
@agent
def restore(article_id: int, number: int) -> Response:
    """Make an earlier version the article's text again, saved as a new version."""
    article = _article_or_404(article_id)
    found = _version_or_404(article, number)
    if not ButtonForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
    elif found.number == article.version:
        flash(_("This version is already the article's text."), "info")
    else:
        service.restore_version(article, found, current_user)
        db.session.commit()
        flash(
            _(
                "Version %(number)s is the article's text again, saved as version %(new_number)s.",
                number=found.number,
                new_number=article.version,
            ),
            "success",
        )
    return redirect(url_for("helpcenter_staff.edit", article_id=article.id), 303)
