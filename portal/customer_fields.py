"""What personalised text may say about a customer: the core's facts and each enabled plugin's."""

from __future__ import annotations

import re

from babel import Locale
from flask_babel import force_locale, get_locale
from sqlalchemy import select

from portal.accounts.models import User
from portal.database import db
from portal.dates import force_calendar, force_zone, format_date, reader_language
from portal.organizations.models import Membership, Organization
from portal.plugin_manager import PluginError, plugin_host

FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def country_name(code: str) -> str:
    """The country an ISO 3166 code names, in the current language (the code itself if unknown)."""
    if not code:
        return ""
    locale = get_locale() or Locale("en")
    return locale.territories.get(code.upper(), code)


def postal_address(customer: User) -> dict[str, str]:
    """The address as tokens: each part, and ``address`` on one line for a sentence or a header."""
    street = ", ".join(line.strip() for line in customer.address_street.splitlines() if line.strip())
    country = country_name(customer.address_country)
    locality = " ".join(part for part in (customer.address_postal_code, customer.address_city) if part)
    return {
        "address": ", ".join(part for part in (street, locality, country) if part),
        "street": street,
        "postal_code": customer.address_postal_code,
        "city": customer.address_city,
        "country": country,
        "phone": customer.phone,
    }


def customer_fields(customer: User, language: str | None = None) -> dict[str, dict[str, str]]:
    """Tokens for templates: ``customer`` from the core, then one mapping per enabled plugin.

    Document templates and mails fill ``{{ customer.name }}`` or ``{{ loyalty.tier }}`` from this,
    so a plugin offers a fact about a customer without the one that prints it importing it.
    Everything is written for a reader of ``language`` (the customer's own by default) in the
    customer's zone and calendar: dates, labels, country names. So the preview of a Persian text,
    filled with an administrator's details, prints dates the way a Persian customer's PDF does.
    """
    with (
        force_locale(language or reader_language(customer)),
        force_zone(customer.timezone),
        force_calendar(customer.calendar),
    ):
        return _written_fields(customer)


def _written_fields(customer: User) -> dict[str, dict[str, str]]:
    organization = db.session.scalar(
        select(Organization.name)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == customer.id)
    )
    fields: dict[str, dict[str, str]] = {
        "customer": {
            "name": customer.name,
            "email": customer.email,
            "organization": organization or "",
            "member_since": format_date(customer.created_at, style="long"),
            **postal_address(customer),
        }
    }
    for plugin, answer in plugin_host().call_each("portal_customer_fields", customer=customer):
        bad = [key for key in answer if not FIELD_KEY.match(str(key))]
        if bad:
            raise PluginError(f"Plugin {plugin!r} offers customer fields with unusable names: {bad}.")
        fields[plugin] = {key: str(value) for key, value in answer.items()}
    return fields
