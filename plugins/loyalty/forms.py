"""The loyalty plugin's forms; every one carries the CSRF token and limits every input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from portal.plugin import CalendarDateField, LocalizedIntegerField, translatable_form

from . import earning_rules, images
from .models import PERIODS, REASON_MAX
from .settings import MAX_POINTS
from .tiers import CODES, NAMES

KEY = [DataRequired(), Length(max=64), Regexp(r"^[A-Za-z0-9_-]+$")]


class RedeemForm(FlaskForm):
    request_key = HiddenField(validators=KEY)


class CancelForm(FlaskForm):
    """Only the CSRF token: cancelling a redemption needs nothing else."""


class GoodwillForm(FlaskForm):
    points = StringField(_l("Points"), validators=[DataRequired(), Length(max=12)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
    request_key = HiddenField(validators=KEY)
    next = HiddenField(validators=[Optional(), Length(max=300)])


class TicketGoodwillForm(FlaskForm):
    """Goodwill in a complaint's apology: the goodwill form, for one ticket, with errors in words."""

    points = StringField(
        _l("Points"),
        validators=[
            DataRequired(_l("Give the number of points.")),
            Length(max=12, message=_l("Points must be a whole number.")),
        ],
    )
    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give a reason for the goodwill points.")),
            Length(
                max=REASON_MAX, message=_l("The reason may be at most %(max)d characters.", max=REASON_MAX)
            ),
        ],
    )
    ticket_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,10}$")])
    request_key = HiddenField(validators=KEY)
    next = HiddenField(validators=[Optional(), Length(max=300)])


class PurchaseForm(FlaskForm):
    amount = StringField(_l("Amount"), validators=[DataRequired(), Length(max=20)])
    reference = StringField(_l("Receipt or order number"), validators=[Optional(), Length(max=60)])
    request_key = HiddenField(validators=KEY)


class RewardForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    cost = LocalizedIntegerField(
        _l("Cost in points"), validators=[InputRequired(), NumberRange(min=1, max=MAX_POINTS)]
    )
    stock = LocalizedIntegerField(
        _l("Stock"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)]
    )
    per_customer_limit = LocalizedIntegerField(
        _l("Limit per customer (0 = none)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
    )
    starts_at = CalendarDateField(_l("Available from"), validators=[Optional()])
    ends_at = CalendarDateField(_l("Available until"), validators=[Optional()])
    min_tier = SelectField(_l("Minimum tier"), choices=[SelectChoice(code, NAMES[code]) for code in CODES])
    active = BooleanField(_l("Shown in the catalogue"), default=True)
    image = FileField(
        _l("Image (PNG, JPEG or WebP, at most %(limit)d MB)", limit=images.MAX_MB),
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )
    remove_image = BooleanField(_l("Remove the current image"))

    def validate_ends_at(self, field: CalendarDateField) -> None:
        """A reward that ends before it starts could never be redeemed."""
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end date must be after the start date."))

    def validate_image(self, field: FileField) -> None:
        """Refuse by content and size before anything is stored, so a refused form keeps no file."""
        upload = images.chosen(field.data)
        if upload is None:
            return
        if self.remove_image.data:
            raise ValidationError(_l("Choose a new image or remove the current one, not both."))
        problem = images.problem_with(upload)
        if problem:
            raise ValidationError(problem)


REWARD_TEXTS = ("title", "description")


def reward_form() -> type[RewardForm]:
    """The reward form with the title and description in each further language, for the catalogue."""
    return translatable_form(RewardForm, REWARD_TEXTS)


class AdjustForm(FlaskForm):
    """An administrator's correction: points may be negative (taking points) or positive."""

    points = StringField(_l("Points (negative to take)"), validators=[DataRequired(), Length(max=12)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
    request_key = HiddenField(validators=KEY)


class EarningRuleForm(FlaskForm):
    """An earning rule: a declared event picked from a list (never typed), its points and an optional cap."""

    event_name = SelectField(_l("Event"), validate_choice=False)
    points = LocalizedIntegerField(
        _l("Points"), validators=[InputRequired(), NumberRange(min=1, max=MAX_POINTS)]
    )
    cap_count = LocalizedIntegerField(
        _l("At most this many awards per customer (empty = no cap)"),
        validators=[Optional(), NumberRange(min=1, max=earning_rules.CAP_MAX)],
    )
    cap_period = SelectField(_l("In each"), validate_choice=False)
    reason = StringField(
        _l("Reason shown to the customer (empty = the event's description)"),
        validators=[Optional(), Length(max=REASON_MAX)],
    )
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.event_name.choices = [SelectChoice("", _l("Choose an event"))] + [
            SelectChoice(event.name, event.label) for event in earning_rules.earnable_events()
        ]
        self.cap_period.choices = [SelectChoice("", _l("No cap"))] + [
            SelectChoice(period, earning_rules.PERIOD_LABELS[period]) for period in PERIODS
        ]

    def validate_event_name(self, field: SelectField) -> None:
        """Only a declared event of another owner, and only one rule per event."""
        if earning_rules.earnable_event(field.data or "") is None:
            raise ValidationError(_l("Choose an event from the list; only declared events can earn points."))
        if earning_rules.rule_with_event(field.data) is not None:
            raise ValidationError(_l("This event already has a rule: change that rule instead."))

    def validate_cap_period(self, field: SelectField) -> None:
        """A cap needs both how many and per what; half a cap would silently cap nothing."""
        if field.data and field.data not in PERIODS:
            raise ValidationError(_l("Choose a period from the list."))
        if self.cap_count.data and not field.data:
            raise ValidationError(_l("Choose the period the cap counts in, or leave the number empty."))
        if field.data and not self.cap_count.data:
            raise ValidationError(_l("Give the most awards per period, or choose No cap."))
