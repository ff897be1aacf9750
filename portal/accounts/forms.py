"""Account forms. Every field has a length limit and a message a person can act on."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, ValidationError

from portal.accounts.address_form import PostalAddressForm
from portal.accounts.models import EMAIL_MAX, NAME_MAX
from portal.dates import CALENDAR_CHOICES
from portal.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from portal.zone_choices import is_zone, zone_choices


def _email_field(label: object = None) -> EmailField:
    return EmailField(
        label or _l("Email address"),
        validators=[
            InputRequired(_l("Enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("An email address has at most %(max)d characters.")),
            Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX},
    )


def _new_password_field(label: object = None) -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[
            InputRequired(_l("Choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l(
                    "Use between %(min)d and %(max)d characters. A few unrelated words make a good password."
                ),
            ),
        ],
        render_kw={
            "autocomplete": "new-password",
            "minlength": MIN_PASSWORD_LENGTH,
            "maxlength": MAX_PASSWORD_LENGTH,
        },
    )


def _current_password_field() -> PasswordField:
    return PasswordField(
        _l("Current password"),
        validators=[
            InputRequired(_l("Enter your current password to confirm it is you.")),
            Length(max=MAX_PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password", "maxlength": MAX_PASSWORD_LENGTH},
    )


def _name_field() -> StringField:
    return StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Enter your name.")),
            Length(max=NAME_MAX, message=_l("A name has at most %(max)d characters.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "name", "maxlength": NAME_MAX},
    )


class RegisterForm(FlaskForm):
    name = _name_field()
    email = _email_field()
    password = _new_password_field()


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password", "maxlength": MAX_PASSWORD_LENGTH},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class EmailOnlyForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = _new_password_field(_l("New password"))


class ProfileForm(PostalAddressForm):
    name = _name_field()
    language = SelectField(_l("Language"), validators=[InputRequired()])
    calendar = SelectField(
        _l("Calendar"),
        choices=[
            SelectChoice("auto", _l("The usual one for my language")),
            SelectChoice("gregorian", _l("Gregorian")),
            SelectChoice("persian", _l("Solar Hijri (Iranian)")),
        ],
        # No InputRequired: a form from before this field existed keeps the stored calendar.
        validate_choice=False,
    )
    # A list of the zone database's zones, not free text; the choices depend on the reader's language.
    timezone = SelectField(
        _l("Time zone"),
        validators=[InputRequired(_l("Choose a time zone.")), Length(max=64)],
        validate_choice=False,
        render_kw={"data-zone-picker": ""},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()
        stored = getattr(kwargs.get("obj"), "timezone", None)
        current = stored if isinstance(stored, str) else None
        self.timezone.choices = [SelectChoice(name, label) for name, label in zone_choices(current=current)]

    def validate_calendar(self, field: SelectField) -> None:
        if field.data not in CALENDAR_CHOICES:
            raise ValidationError(_l("Choose a calendar from the list."))

    def validate_timezone(self, field: SelectField) -> None:
        if not is_zone(field.data or ""):
            raise ValidationError(_l("Choose a time zone from the list, for example Iran Time."))


class ChangePasswordForm(FlaskForm):
    current_password = _current_password_field()
    new_password = _new_password_field(_l("New password"))


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("New email address"))
    current_password = _current_password_field()


class DeleteAccountForm(FlaskForm):
    current_password = _current_password_field()
    confirm = BooleanField(
        _l("I understand that my account and my data will be deleted for good."),
        validators=[InputRequired(_l("Tick the box to confirm you want to delete your account."))],
    )


LANGUAGE_NAMES = {"en": "English", "fa": "فارسی"}


def language_choices() -> list[SelectChoice]:
    """The deployment's languages, each named in itself, so a person finds theirs whatever is shown."""
    return [
        SelectChoice(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["PORTAL_LANGUAGES"]
    ]
