"""The staff forms: publishing a document, adding a version, writing a template."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.plugin import CalendarDateField, translatable_form

from .models import DESCRIPTION_MAX, TEMPLATE_BODY_MAX, TEMPLATE_NAME_MAX, TITLE_MAX


class DocumentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    # Neither the category nor who gets it has a default: a document shown to the wrong people, or
    # filed as an invoice when it is a contract, is worse than a form that asks once more.
    category = SelectField(
        _l("Category"), choices=[], validators=[DataRequired(message=_l("Choose a category."))]
    )
    audience = RadioField(
        _l("Who may see it"),
        choices=[
            SelectChoice("customer", _l("One customer")),
            SelectChoice("segment", _l("A group of customers")),
        ],
        validators=[DataRequired(message=_l("Choose who gets it: one customer, or a group."))],
    )
    customer_email = StringField(
        _l("The customer's email address"), validators=[Optional(), Email(), Length(max=254)]
    )
    segment = SelectField(_l("Group"), choices=[], validate_choice=False)
    template = SelectField(_l("Make it from a template instead of a file"), choices=[], validate_choice=False)
    file = FileField(_l("File"))
    expires_on = CalendarDateField(_l("Hide after (optional)"), validators=[Optional()])
    publish_now = BooleanField(_l("Publish now"), default=True)


class VersionForm(FlaskForm):
    file = FileField(_l("New version"))


class ActionForm(FlaskForm):
    """A button that changes something: carries the CSRF token and nothing else."""


class TemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=TEMPLATE_NAME_MAX)])
    body = TextAreaField(_l("HTML with tokens"), validators=[DataRequired(), Length(max=TEMPLATE_BODY_MAX)])


def template_form_class(languages: dict[str, str]) -> type[TemplateForm]:
    """The template form with an optional body for each further language (code → display name).

    The languages are the deployment's, known only at request time, so the fields are added then.
    """
    fields = {
        f"body_{code}": TextAreaField(
            _l("HTML for readers of %(language)s (optional)", language=name),
            validators=[Optional(), Length(max=TEMPLATE_BODY_MAX)],
        )
        for code, name in languages.items()
    }
    return type("TranslatedTemplateForm", (TemplateForm,), fields)


DOCUMENT_TEXTS = ("title", "description")


def document_form() -> type[DocumentForm]:
    """The document form with the title and description in each further language."""
    return translatable_form(DocumentForm, DOCUMENT_TEXTS)
