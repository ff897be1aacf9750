"""The staff forms: writing an article, changing its status, and naming a category.

Choices that depend on the database (categories, audiences) are filled in by the views and checked
there too, so a category deleted or a segment switched off since the page was shown gets a message
on its field, not a 500.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.plugin import LocalizedIntegerField, translatable_form

from .models import ARCHIVED, BODY_MAX, CATEGORY_NAME_MAX, DRAFT, PUBLISHED, TITLE_MAX, VERSION_NOTE_MAX

ARTICLE_TEXTS = ("title", "body")
CATEGORY_TEXTS = ("name",)
POSITION_MAX = 999


class ArticleForm(FlaskForm):
    """An article as staff write it: the text in the default language, where it is filed, who reads it."""

    # Markdown is saved as typed: leading spaces and blank lines carry meaning in it.
    texts_as_typed = ("body",)

    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the article a title.")),
            Length(
                max=TITLE_MAX, message=_l("Keep the title to %(max)d characters or fewer.", max=TITLE_MAX)
            ),
        ],
    )
    body = TextAreaField(
        _l("Article"),
        validators=[
            DataRequired(message=_l("Write the article.")),
            Length(
                max=BODY_MAX, message=_l("Keep the article to %(max)d characters or fewer.", max=BODY_MAX)
            ),
        ],
        render_kw={"rows": 16},
    )
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    audience = SelectField(_l("Who may read it"), choices=[], validate_choice=False)
    # The version the writer started from: a save over someone else's newer one is refused, not lost.
    based_on = HiddenField()
    note = StringField(
        _l("What changed (optional)"),
        validators=[
            Length(
                max=VERSION_NOTE_MAX,
                message=_l("Keep the note to %(max)d characters or fewer.", max=VERSION_NOTE_MAX),
            )
        ],
    )


def article_form() -> type[ArticleForm]:
    """The article form with the title and the text in each further language."""
    return translatable_form(ArticleForm, ARTICLE_TEXTS)


class StatusForm(FlaskForm):
    """One of the buttons Publish, Archive and Back to draft; the button's value is the new status."""

    status = SelectField(
        choices=[
            SelectChoice(PUBLISHED, _l("Publish")),
            SelectChoice(ARCHIVED, _l("Archive")),
            SelectChoice(DRAFT, _l("Back to draft")),
        ],
        validators=[InputRequired(message=_l("Choose Publish, Archive or Back to draft."))],
    )


class CategoryForm(FlaskForm):
    """A category's name and its place among the others (smaller numbers come first)."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Give the category a name.")),
            Length(
                max=CATEGORY_NAME_MAX,
                message=_l("Keep the name to %(max)d characters or fewer.", max=CATEGORY_NAME_MAX),
            ),
        ],
    )
    position = LocalizedIntegerField(
        _l("Position"),
        default=0,
        validators=[
            InputRequired(message=_l("Enter a whole number, like 1.")),
            NumberRange(
                min=0, max=POSITION_MAX, message=_l("Use a number from 0 to %(max)d.", max=POSITION_MAX)
            ),
        ],
    )


def category_form() -> type[CategoryForm]:
    """The category form with the name in each further language."""
    return translatable_form(CategoryForm, CATEGORY_TEXTS)
