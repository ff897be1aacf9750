"""The postal address part of the profile: optional, limited, and checked with messages people act on."""

from __future__ import annotations

import re

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from portal.accounts.models import CITY_MAX, PHONE_MAX, POSTAL_CODE_MAX, STREET_MAX

# Babel's territories include groupings (the world, the EU, "unknown") that are nobody's address.
NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
# Letters and digits of any script (Persian digits too), in groups joined by one space or hyphen.
POSTAL_CODE = re.compile(r"^[^\W_]+(?:[ \-][^\W_]+)*$")
PHONE = re.compile(r"^\+?[\d ()\-./]+$")
MIN_PHONE_DIGITS = 6


def country_choices() -> list[SelectChoice]:
    """Every country by its name in the reader's language, alphabetically, after "not given"."""
    locale = get_locale() or Locale("en")
    countries = sorted(
        (
            (name, code)
            for code, name in locale.territories.items()
            if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
        ),
    )
    return [SelectChoice("", _l("Not given"))] + [SelectChoice(code, name) for name, code in countries]


class PostalAddressForm(FlaskForm):
    """The address fields, all optional; documents made for the customer print what is given."""

    address_street = TextAreaField(
        _l("Street address"),
        validators=[Optional(), Length(max=STREET_MAX, message=_l("Use at most %(max)d characters."))],
        render_kw={"rows": 2, "maxlength": STREET_MAX, "autocomplete": "street-address"},
    )
    address_postal_code = StringField(
        _l("Postal code"),
        validators=[Optional(), Length(max=POSTAL_CODE_MAX, message=_l("Use at most %(max)d characters."))],
        render_kw={"maxlength": POSTAL_CODE_MAX, "autocomplete": "postal-code"},
    )
    address_city = StringField(
        _l("City"),
        validators=[Optional(), Length(max=CITY_MAX, message=_l("Use at most %(max)d characters."))],
        render_kw={"maxlength": CITY_MAX, "autocomplete": "address-level2"},
    )
    address_country = SelectField(_l("Country"), validate_choice=False)
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=PHONE_MAX, message=_l("Use at most %(max)d characters."))],
        render_kw={"maxlength": PHONE_MAX, "autocomplete": "tel", "type": "tel", "dir": "ltr"},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.address_country.choices = country_choices()

    def validate_address_postal_code(self, field: StringField) -> None:
        if field.data and not POSTAL_CODE.match(field.data.strip()):
            raise ValidationError(
                _l("Use letters, digits, spaces and hyphens only, for example 1968917 or SW1A 1AA.")
            )

    def validate_address_country(self, field: SelectField) -> None:
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose a country from the list."))

    def validate_phone(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if value and (not PHONE.match(value) or sum(c.isdigit() for c in value) < MIN_PHONE_DIGITS):
            raise ValidationError(
                _l("Write the number with digits, spaces and + ( ) - only, for example +98 21 1234 5678.")
            )
