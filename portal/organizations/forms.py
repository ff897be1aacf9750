"""Organization forms. Every field has a length limit and a message a person can act on."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SearchField, SelectChoice, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional

from portal.accounts.models import EMAIL_MAX, NAME_MAX
from portal.clean_input import stripped
from portal.organizations.models import ORGANIZATION_NAME_MAX


def _organization_name_field() -> StringField:
    return StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Give the organization a name.")),
            Length(max=ORGANIZATION_NAME_MAX, message=_l("A name has at most %(max)d characters.")),
        ],
        filters=[stripped],
        render_kw={"maxlength": ORGANIZATION_NAME_MAX},
    )


def _kind_field() -> SelectField:
    return SelectField(
        _l("Kind"),
        choices=[SelectChoice("household", _l("Household")), SelectChoice("company", _l("Company"))],
        validators=[InputRequired(_l("Choose household or company."))],
    )


def _email_field(label: Any, required_message: Any) -> EmailField:
    return EmailField(
        label,
        validators=[
            InputRequired(required_message),
            Length(max=EMAIL_MAX, message=_l("An email address has at most %(max)d characters.")),
            Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
        ],
        filters=[stripped],
        render_kw={"autocomplete": "off", "maxlength": EMAIL_MAX},
    )


class CreateOrganizationForm(FlaskForm):
    """A customer with no organization starts one and becomes its manager."""

    name = _organization_name_field()
    kind = _kind_field()


class InviteForm(FlaskForm):
    """A manager invites someone by email; the name only personalises the greeting."""

    email = _email_field(_l("Email address"), _l("Enter the address to send the invitation to."))
    name = StringField(
        _l("Name (optional)"),
        validators=[Optional(), Length(max=NAME_MAX, message=_l("A name has at most %(max)d characters."))],
        filters=[stripped],
        render_kw={"maxlength": NAME_MAX},
    )


class StaffCreateOrganizationForm(FlaskForm):
    """Staff set up an organization for a customer who asked, with that customer as its manager."""

    name = _organization_name_field()
    kind = _kind_field()
    manager_email = _email_field(_l("Manager's email address"), _l("Enter the email address of a customer."))


class AddManagerForm(FlaskForm):
    """Staff add an existing customer to an organization as a manager."""

    email = _email_field(_l("Customer's email address"), _l("Enter the email address of a customer."))


class SearchForm(FlaskForm):
    """The staff list's search box; a GET form, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Search by name"),
        validators=[
            Optional(),
            Length(max=ORGANIZATION_NAME_MAX, message=_l("Search with at most %(max)d characters.")),
        ],
        filters=[stripped],
        render_kw={"maxlength": ORGANIZATION_NAME_MAX},
    )
