"""The help center's categories at /staff/help/categories: agents read them, administrators change them.

A name is unique whatever its case ("Billing" and "billing" would look the same to customers); a
category that still holds articles cannot be deleted, so no article loses its place unnoticed.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from portal.plugin import ID_MAX, ButtonForm, admin, agent, db, store_translations, translation_data

from .blueprint import staff_bp
from .forms import CATEGORY_TEXTS, CategoryForm, category_form
from .models import Article, Category


def _category_or_404(category_id: int) -> Category:
    found = db.session.get(Category, category_id) if 0 < category_id <= ID_MAX else None
    if found is None:
        abort(404)
    return found


def _list_page(form: CategoryForm | None) -> str:
    categories = db.session.scalars(
        select(Category).order_by(Category.position, Category.name, Category.id)
    ).all()
    counts = dict(
        db.session.execute(
            select(Article.category_id, func.count())
            .where(Article.category_id.is_not(None))
            .group_by(Article.category_id)
        )
        .tuples()
        .all()
    )
    return render_template(
        "helpcenter/staff_categories.html", categories=categories, counts=counts, form=form
    )


@staff_bp.route("/categories")
@agent
def categories() -> str:
    """The categories in the order customers see them, with how many articles each holds."""
    return _list_page(category_form()(formdata=None) if current_user.is_admin else None)


@staff_bp.route("/categories", methods=["POST"])
@admin
def add_category() -> str | Response | tuple[str, int]:
    """Add a category; a name already taken is a message on the form."""
    form = category_form()()
    if form.validate_on_submit():
        shelf = Category(name="", position=0)
        if _save(form, shelf, new=True):
            flash(_("Category added."), "success")
            return redirect(url_for("helpcenter_staff.categories"), 303)
    return _list_page(form), 422


@staff_bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@admin
def edit_category(category_id: int) -> str | Response | tuple[str, int]:
    """Rename a category, move it, or write its name in each further language."""
    shelf = _category_or_404(category_id)
    form = category_form()(
        data={"name": shelf.name, "position": shelf.position} | translation_data(shelf, CATEGORY_TEXTS)
    )
    if form.validate_on_submit() and _save(form, shelf, new=False):
        flash(_("Category saved."), "success")
        return redirect(url_for("helpcenter_staff.categories"), 303)
    articles = db.session.scalar(
        select(func.count()).select_from(Article).where(Article.category_id == shelf.id)
    )
    page = render_template(
        "helpcenter/staff_category.html",
        category=shelf,
        form=form,
        articles=articles or 0,
        delete_form=ButtonForm(),
    )
    return (page, 422) if form.is_submitted() else page


@staff_bp.route("/categories/<int:category_id>/delete", methods=["POST"])
@admin
def delete_category(category_id: int) -> Response:
    """Delete an empty category; one that holds articles is refused with the way forward."""
    shelf = _category_or_404(category_id)
    if not ButtonForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("helpcenter_staff.edit_category", category_id=shelf.id), 303)
    if db.session.scalar(select(Article.id).where(Article.category_id == shelf.id).limit(1)) is not None:
        flash(_("This category still holds articles. Move them to another category first."), "error")
        return redirect(url_for("helpcenter_staff.edit_category", category_id=shelf.id), 303)
    db.session.delete(shelf)
    db.session.commit()
    flash(_("Category deleted."), "success")
    return redirect(url_for("helpcenter_staff.categories"), 303)


def _save(form: CategoryForm, shelf: Category, *, new: bool) -> bool:
    """Store the form on ``shelf`` and commit; ``False`` with a message when the name is taken."""
    name = form.name.data.strip()
    taken = select(Category.id).where(func.lower(Category.name) == name.lower())
    if not new:
        taken = taken.where(Category.id != shelf.id)
    if db.session.scalar(taken.limit(1)) is not None:
        form.name.errors = [_("A category of this name exists already.")]
        return False
    shelf.name = name
    shelf.position = form.position.data
    store_translations(form, shelf)
    if new:
        db.session.add(shelf)
    try:
        db.session.commit()
    except IntegrityError:  # the same name saved by someone else a moment ago
        db.session.rollback()
        form.name.errors = [_("A category of this name exists already.")]
        return False
    return True
