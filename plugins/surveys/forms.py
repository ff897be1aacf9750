"""The staff builder's forms and the results filter; customers' answer forms are built from the questions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.plugin import (
    CalendarDateTimeField,
    DateInputError,
    LocalizedIntegerField,
    all_segments,
    date_input_text,
    declared_events,
    event_label,
    from_user_zone,
    parse_calendar_date,
    segment_by_key,
    to_user_zone,
    translatable_form,
    translation_data,
)

from .library import template_labels
from .models import CHOICE_KINDS, HELP_MAX, INTRO_MAX, KINDS, OPTIONS_MAX, QUESTION_MAX, TITLE_MAX

if TYPE_CHECKING:
    from .models import Survey

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
    """Every question type, in the words staff use."""
    return [SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS]


def trigger_choices() -> list[SelectChoice]:
    """The events a survey may follow: every declared one, in words staff read, grouped by owner.

    A list instead of a text box, so nobody types ``ticket.resolved`` and waits for invitations that
    never come.
    """
    declared = declared_events()
    choices = [SelectChoice("", _("No event"))]
    for owner in declared.owners():
        for name, each in declared.by_name.items():
            if each.owner == owner:
                choices.append(SelectChoice(name, event_label(each.event_type), optgroup=owner))
    return choices


class NewSurveyForm(FlaskForm):
    """A new survey: which ready-made one to start from, and optionally its title."""

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
    """A survey's settings: its words, who is asked and when, and how it is answered."""

    texts_as_typed = ("title", "intro")  # saved as typed; their translations too

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
    trigger_delay_hours = LocalizedIntegerField(
        _l("Delay (hours)"), default=0, validators=[NumberRange(0, 720)]
    )
    wait_days_override = LocalizedIntegerField(
        _l("Waiting period for this survey (days)"),
        validators=[Optional(), NumberRange(0, 365)],
        description=_l("Leave empty to use the waiting period set for all surveys."),
    )
    opens_at = CalendarDateTimeField(_l("Opens"), validators=[Optional()])
    closes_at = CalendarDateTimeField(_l("Closes"), validators=[Optional()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.audience_key.choices = [SelectChoice(value, label) for value, label in audience_choices()]
        self.trigger_event.choices = trigger_choices()

    def validate_trigger_event(self, field: SelectField) -> None:
        """Refuse an event nobody declares: a survey waiting for it would never be sent."""
        if field.data and declared_events().declaration(field.data) is None:
            raise ValidationError(_("Choose an event from the list."))

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then what needs a look-up or two fields: a real audience, closing after opening."""
        if not super().validate(extra_validators):
            return False
        if self.audience_key.data and segment_by_key(self.audience_key.data) is None:
            self.audience_key.errors = [_("Please choose an audience from the list.")]
            return False
        for moment in (self.opens_at, self.closes_at):
            if moment.data is None:
                continue
            instant = from_user_zone(moment.data, current_user)
            if instant is None:
                moment.errors = [
                    _("That time does not exist in your time zone (the clocks change then); choose another.")
                ]
                return False
            moment.data = instant  # stored as UTC; typed on the agent's own clock
        if self.opens_at.data and self.closes_at.data and self.closes_at.data <= self.opens_at.data:
            self.closes_at.errors = [_("The survey must close after it opens.")]
            return False
        return True

    def apply_to(self, survey: Survey) -> None:
        """Write the checked settings onto the survey; anonymity is fixed once the survey is published."""
        survey.title = self.title.data
        survey.intro = self.intro.data or ""
        if survey.status == "draft":
            survey.anonymous = self.anonymous.data
        survey.one_per_page = self.one_per_page.data
        survey.audience_key = self.audience_key.data or None
        survey.trigger_event = self.trigger_event.data or None
        survey.trigger_delay_hours = self.trigger_delay_hours.data or 0
        survey.wait_days_override = self.wait_days_override.data
        survey.opens_at = self.opens_at.data
        survey.closes_at = self.closes_at.data


class QuestionForm(FlaskForm):
    """A question added to a draft survey."""

    texts_as_typed = ("text", "help")  # saved as typed; their translations too

    kind = SelectField(_l("Kind"), choices=kind_choices())
    text = StringField(_l("Question"), validators=[DataRequired(), Length(max=QUESTION_MAX)])
    help = StringField(_l("Help text"), validators=[Optional(), Length(max=HELP_MAX)])
    required = BooleanField(_l("Required"), default=True)
    options = TextAreaField(_l("Choices, one a line"), validators=[Optional(), Length(max=OPTIONS_MAX)])
    scale_max = LocalizedIntegerField(
        _l("Top of the rating scale"), default=5, validators=[NumberRange(2, 10)]
    )

    def option_lines(self) -> list[str]:
        """The choices as typed, one a line, without blank lines or surrounding spaces."""
        return [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then that a choice question has at least two choices to choose between."""
        if not super().validate(extra_validators):
            return False
        if self.kind.data in CHOICE_KINDS and len(self.option_lines()) < 2:
            self.options.errors = [_("Give at least two choices, one a line.")]
            return False
        return translated_choices_match(self, len(self.option_lines()))


def translated_choices_match(form: FlaskForm, wanted: int) -> bool:
    """Each translation of the choices has ``wanted`` lines, or none: answers keep a choice's place."""
    for language in getattr(form, "translation_languages", ()):
        name = f"options_{language}"
        if name not in form:
            continue
        translated = form[name]
        lines = [line for line in (translated.data or "").splitlines() if line.strip()]
        if lines and len(lines) != wanted:
            translated.errors = [
                _(
                    "Write exactly %(count)d choices, one a line, in the order of the choices above.",
                    count=wanted,
                )
            ]
            return False
    return True


SURVEY_TEXTS = ("title", "intro")
QUESTION_TEXTS = ("text", "help", "options")


def survey_form() -> type[SurveyForm]:
    """The settings form with a field for the title and introduction in each further language."""
    return translatable_form(SurveyForm, SURVEY_TEXTS)


def settings_form(survey: Survey) -> SurveyForm:
    """The survey's settings form, its opening and closing times on the agent's own clock.

    They are stored as UTC; an agent in Tehran who opened the survey at 10:00 must see 10:00 again,
    not the 06:30 of UTC, or saving the page unchanged would move the times.
    """
    form = survey_form()(obj=survey, data=translation_data(survey, SURVEY_TEXTS))
    for field, stored in ((form.opens_at, survey.opens_at), (form.closes_at, survey.closes_at)):
        if stored is not None and not field.raw_data:
            field.data = to_user_zone(stored, current_user).replace(tzinfo=None)
    return form


def question_form() -> type[QuestionForm]:
    """The question form with a field for the question, help and choices in each further language."""
    return translatable_form(QuestionForm, QUESTION_TEXTS)


class ActionForm(FlaskForm):
    """Just the CSRF token, for buttons that change something."""


# Results can be filtered to days in this range: wide enough for any survey, and far from the limits of
# Python's dates (9999-12-31 plus the one day an end date includes would overflow) and the databases'.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


class DateFilter:
    """The results page's From and To, as typed, checked: the period to count, or what is wrong."""

    def __init__(self, start: str, end: str) -> None:
        self.typed = {"start": start[:100], "end": end[:100]}
        self.errors: dict[str, str] = {}
        days = {name: self._day(name, text) for name, text in self.typed.items()}
        if not self.errors and days["start"] and days["end"] and days["start"] > days["end"]:
            self.errors["start"] = _("The start date must not be after the end date.")
        self.start = datetime.combine(days["start"], datetime.min.time()) if days["start"] else None
        # The end day is included: count until the start of the day after it.
        self.end = (
            datetime.combine(days["end"] + timedelta(days=1), datetime.min.time()) if days["end"] else None
        )

    def _day(self, name: str, text: str) -> date | None:
        if not text:
            return None
        try:
            day = parse_calendar_date(text)  # in the reader's calendar
        except DateInputError as error:
            self.errors[name] = str(error)
            return None
        if not FIRST_DAY <= day <= LAST_DAY:
            self.errors[name] = _(
                "Please choose a date from %(first)s to %(last)s.",
                first=date_input_text(FIRST_DAY),
                last=date_input_text(LAST_DAY),
            )
            return None
        return day
