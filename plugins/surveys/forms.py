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
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.plugin import all_segments, declared_events

from .library import template_labels
from .models import HELP_MAX, INTRO_MAX, KINDS, OPTIONS_MAX, QUESTION_MAX, TITLE_MAX

# The question types in the words staff use; the stored names (``yesno``…) stay out of every page.
KIND_LABELS = {
    "nps": _l("Would recommend, 0 to 10 (NPS)"),
    "csat": _l("Satisfaction, 1 to 5 (CSAT)"),
    "rating": _l("Rating"),
    "single": _l("One choice"),
    "multiple": _l("Several choices"),
    "yesno": _l("Yes or no"),
    "short_text": _l("Short answer"),
    "long_text": _l("Long answer"),
}


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS]


def trigger_choices() -> list[SelectChoice]:
    """The events a survey may follow: every declared one, by name and what it means, grouped by owner.

    A list instead of a text box, so nobody types ``ticket.resolved`` and waits for invitations that
    never come.
    """
    declared = declared_events()
    choices = [SelectChoice("", _("No event"))]
    for owner in declared.owners():
        for name, each in declared.by_name.items():
            if each.owner == owner:
                meaning = (each.event_type.__doc__ or "").strip().splitlines()[0]
                choices.append(SelectChoice(name, f"{name}: {meaning}", optgroup=owner))
    return choices


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
    trigger_event = SelectField(
        _l("Or send after this event"),
        choices=[],
        validate_choice=False,
        description=_l("The customer the event is about is asked."),
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
        self.trigger_event.choices = trigger_choices()

    def validate_trigger_event(self, field: SelectField) -> None:
        """Refuse an event nobody declares: a survey waiting for it would never be sent."""
        if field.data and declared_events().declaration(field.data) is None:
            raise ValidationError(_("Choose an event from the list."))


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=kind_choices())
    text = StringField(_l("Question"), validators=[DataRequired(), Length(max=QUESTION_MAX)])
    help = StringField(_l("Help text"), validators=[Optional(), Length(max=HELP_MAX)])
    required = BooleanField(_l("Required"), default=True)
    options = TextAreaField(_l("Choices, one a line"), validators=[Optional(), Length(max=OPTIONS_MAX)])
    scale_max = IntegerField(_l("Top of the rating scale"), default=5, validators=[NumberRange(2, 10)])


class ActionForm(FlaskForm):
    """Just the CSRF token, for buttons that change something."""
