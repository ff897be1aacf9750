"""Staff API routes for customer accounts: list and read them, and add the ones another system knows.

A shop or an ERP that already knows its customers creates their portal accounts here, so the
tickets, points and documents it sends next have someone to belong to.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from sqlalchemy import or_, select

from portal.access import AGENT
from portal.accounts.models import EMAIL_MAX, NAME_MAX, User, normalise_email
from portal.accounts.provisioning import AddressTakenError, add_customer_account
from portal.api.access import api_access, current_api_user
from portal.api.blueprint import ApiBlueprint
from portal.api.problems import api_abort
from portal.api.schemas import PageArguments, Text, UtcDateTime, api_page, page_of
from portal.database import db

customers_api = ApiBlueprint(
    "api_customers", __name__, url_prefix="/customers", description="Customer accounts."
)


class CustomerSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.Email(required=True)
    name = ma.fields.String(required=True)
    language = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)
    email_verified = ma.fields.Boolean(
        required=True, metadata={"description": "Whether the customer has confirmed the address."}
    )
    created_at = UtcDateTime(required=True)
    last_login_at = UtcDateTime(required=True, allow_none=True)


class CustomerListArguments(PageArguments):
    email = ma.fields.Email(
        load_default=None, metadata={"description": "Only the account with this address."}
    )
    search = Text(
        load_default=None, min_length=0, max_length=100, metadata={"description": "In name or address."}
    )


class NewCustomerSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=EMAIL_MAX))
    name = Text(required=True, max_length=NAME_MAX)
    language = ma.fields.String(load_default=None, metadata={"description": "One of the portal's languages."})

    @ma.validates("language")
    def _offered(self, value: str | None, **_kwargs: Any) -> None:
        languages = current_app.config["PORTAL_LANGUAGES"]
        if value is not None and value not in languages:
            raise ma.ValidationError(f"Choose one of: {', '.join(languages)}.")


CustomerPage = page_of(CustomerSchema, "CustomerPageSchema")


@customers_api.route("/")
@customers_api.etag
@customers_api.arguments(CustomerListArguments, location="query")
@customers_api.response(200, CustomerPage)
@api_access(AGENT, "customers:read")
def customers(arguments: dict[str, Any]) -> Any:
    """Customer accounts, oldest first: page on with the cursor to pick up the ones added since."""
    query = select(User).where(User.role == "customer")
    if arguments["email"]:
        query = query.where(User.email == normalise_email(arguments["email"]))
    if arguments["search"]:
        pattern = f"%{arguments['search']}%"
        query = query.where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
    return api_page(query, [User.id], arguments)


@customers_api.route("/<int:customer_id>")
@customers_api.etag
@customers_api.response(200, CustomerSchema)
@api_access(AGENT, "customers:read")
def customer(customer_id: int) -> Any:
    """One customer account."""
    found = db.session.scalar(select(User).where(User.id == customer_id, User.role == "customer"))
    if found is None:
        api_abort(404)
    return found


@customers_api.route("/", methods=["POST"])
@customers_api.arguments(NewCustomerSchema)
@customers_api.response(201, CustomerSchema)
@api_access(AGENT, "customers:write")
def add_customer(fields: dict[str, Any]) -> Any:
    """Add a customer account; an address that has one already is a 409 naming that account's id.

    The account has no password anyone knows: the customer chooses one with "Forgot your password?",
    which also proves the address is theirs.
    """
    try:
        account = add_customer_account(
            fields["email"], fields["name"], fields["language"], actor_id=current_api_user().id, via="api"
        )
    except AddressTakenError as taken:
        if taken.existing_id is None:
            api_abort(
                409, "An account with this address was added at the same moment; read it by its address."
            )
        api_abort(409, f"An account with this address exists already: id {taken.existing_id}.")
    db.session.commit()
    return account
