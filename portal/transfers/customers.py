"""The core's own kinds: customer accounts in and out, as a shop or a CRM keeps them in step.

An imported customer's account is made by the same function as one the API adds
(``portal.accounts.provisioning``), so the two cannot drift apart; an address that has an account
already is left as it is, which makes a file safe to import again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import marshmallow as ma
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import EMAIL_MAX, NAME_MAX, User, normalise_email
from portal.accounts.provisioning import AddressTakenError, add_customer_account
from portal.database import db
from portal.i18n import gettext_or_source as _
from portal.transfers.kinds import ExportKind, ImportContext, ImportKind, ImportRowError, Row

# Rows fetched from the database at a time while an export streams.
BATCH = 1000


@dataclass(frozen=True)
class NewCustomer:
    """A checked row of the customers import."""

    email: str
    name: str
    language: str | None


def check_customer(row: Row, context: ImportContext) -> NewCustomer:
    """The row's address, name and language, held to what ``POST /api/v1/customers`` accepts."""
    email = normalise_email(row["email"])
    if not email:
        raise ImportRowError(_("The email address is missing."))
    if len(email) > EMAIL_MAX:
        raise ImportRowError(_("The email address is longer than %(max)d characters.", max=EMAIL_MAX))
    try:
        ma.validate.Email()(email)
    except ma.ValidationError:
        raise ImportRowError(_("“%(email)s” is not an email address.", email=email)) from None
    name = row["name"].strip()
    if not name:
        raise ImportRowError(_("The name is missing."))
    if len(name) > NAME_MAX:
        raise ImportRowError(_("The name is longer than %(max)d characters.", max=NAME_MAX))
    language = row["language"].strip().lower() or None
    languages = current_app.config["PORTAL_LANGUAGES"]
    if language is not None and language not in languages:
        raise ImportRowError(
            _(
                "The language “%(language)s” is not one of the portal's: %(languages)s.",
                language=language,
                languages=", ".join(languages),
            )
        )
    return NewCustomer(email, name, language)


def add_customer(customer: NewCustomer, context: ImportContext) -> bool:
    """Add the account as the API does; ``False`` when the address has one already."""
    actor_id = context.actor.id if context.actor is not None else None
    try:
        add_customer_account(
            customer.email, customer.name, customer.language, actor_id=actor_id, via="import"
        )
    except AddressTakenError:
        return False
    return True


def customer_rows(since: datetime | None) -> Iterator[Sequence[object]]:
    """Every customer account (not staff), oldest first; with ``since``, those made at or after it."""
    query = select(User.id, User.email, User.name, User.language, User.created_at, User.last_login_at).where(
        User.role == "customer"
    )
    if since is not None:
        query = query.where(User.created_at >= since)
    yield from db.session.execute(query.order_by(User.id).execution_options(yield_per=BATCH))


CUSTOMERS_IMPORT = ImportKind(
    name="customers",
    label=_l("Customer accounts"),
    area="customers",
    columns=("email", "name", "language"),
    required=("email", "name"),
    check=check_customer,
    apply=add_customer,
    key="email",
    normalise_key=normalise_email,
    ignored=("id", "created_at", "last_login_at"),
)
CUSTOMERS_EXPORT = ExportKind(
    name="customers",
    label=_l("Customer accounts"),
    area="customers",
    columns=("id", "email", "name", "language", "created_at", "last_login_at"),
    rows=customer_rows,
)
CORE_IMPORT_KINDS = [CUSTOMERS_IMPORT]
CORE_EXPORT_KINDS = [CUSTOMERS_EXPORT]
