"""The staff builder's forms; customers' answer forms are built from the questions (see views)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.plugin import all_segments

from .library import template_labels
from .models import HELP_MAX, INTRO_MAX, KINDS, OPTIONS_MAX, QUESTION_MAX, TITLE_MAX


def kind_choices() -> list[SelectChoice]:
    labels = {
        "nps": _l("NPS (0–10)"),
        "csat": _l("CSAT (1–5)"),
        "rating": _l("Rating"),
        "single": _l("Single choice"),
        "multiple": _l("Multiple choice"),
        "yesno": _l("Yes / no"),
        "short_text": _l("Short text"),
        "long_text": _l("Long text"),
    }
    return [SelectChoice(kind, labels[kind]) for kind in KINDS]


class NewSurveyForm(FlaskForm):
    template = SelectField(_l("Start from"), choices=[])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=TITLE_MAX)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.template.choices = [SelectChoice(value, label) for value, label in template_labels()]


def audience_choices() -> list[tuple[str, str]]:
    """Who a survey may be sent to: the segments on offer now, after "nobody" for event-only surveys."""
    return [("", _("Nobody (event-triggered only)"))] + [
        (segment.key, str(segment.label)) for segment in all_segments()
    ]


class SurveyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    intro = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=INTRO_MAX)])
    anonymous = BooleanField(_l("Anonymous: answers are never linked to a person"))
    one_per_page = BooleanField(_l("One question per page"))
    audience_key = SelectField(_l("Who is asked"), choices=[], validate_choice=False)
    trigger_event = StringField(
        _l("Or send after this event"),
        validators=[Optional(), Length(max=100)],
        description=_l("For example tickets.resolved: the customer the event is about is asked."),
    )
    trigger_delay_hours = IntegerField(_l("Delay (hours)"), default=0, validators=[NumberRange(0, 720)])
    wait_days_override = IntegerField(
        _l("Waiting period for this survey (days)"),
        validators=[Optional(), NumberRange(0, 365)],
        description=_l("Leave empty to use the waiting period set for all surveys."),
    )
    opens_at = DateTimeLocalField(_l("Opens"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes"), validators=[Optional()], format="%Y-%m-%dT%H:%M")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.audience_key.choices = [SelectChoice(value, label) for value, label in audience_choices()]


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=kind_choices())
    text = StringField(_l("Question"), validators=[DataRequired(), Length(max=QUESTION_MAX)])
    help = StringField(_l("Help text"), validators=[Optional(), Length(max=HELP_MAX)])
    required = BooleanField(_l("Required"), default=True)
    options = TextAreaField(_l("Choices, one a line"), validators=[Optional(), Length(max=OPTIONS_MAX)])
    scale_max = IntegerField(_l("Top of the rating scale"), default=5, validators=[NumberRange(2, 10)])


class ActionForm(FlaskForm):
    """Just the CSRF token, for buttons that change something."""
