"""API routes for organizations: staff set them up and change who belongs; a customer reads their own.

A shop or a CRM that knows which customers buy for one company mirrors that here, so the company's
managers see what its members share. The rules are the organization pages' own
(``portal.organizations.membership``): only customers belong, each to one organization, the last
manager cannot be removed, and every change is audited.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import select

from portal.access import AGENT, CUSTOMER
from portal.accounts.models import User
from portal.api.access import api_access, current_api_user
from portal.api.blueprint import ApiBlueprint
from portal.api.problems import api_abort
from portal.api.schemas import PageArguments, Text, UtcDateTime, api_page, page_of
from portal.converters import ID_MAX
from portal.database import db
from portal.organizations import membership
from portal.organizations.models import ORGANIZATION_NAME_MAX, Membership, Organization

organizations_api = ApiBlueprint(
    "api_organizations",
    __name__,
    url_prefix="/organizations",
    description="Organizations and households, and the customers in them.",
)

KINDS = ("company", "household")
ROLES = ("manager", "member")


class OrganizationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(KINDS)})
    created_at = UtcDateTime(required=True)


class OwnOrganizationSchema(OrganizationSchema):
    role = ma.fields.String(
        required=True,
        metadata={"enum": list(ROLES), "description": "The token's account's role in it."},
    )
    joined_at = UtcDateTime(required=True)


class MemberSchema(ma.Schema):
    user_id = ma.fields.Integer(required=True)
    email = ma.fields.Email(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata={"enum": list(ROLES)})
    joined_at = UtcDateTime(required=True)


class OrganizationListArguments(PageArguments):
    search = Text(
        load_default=None,
        min_length=0,
        max_length=ORGANIZATION_NAME_MAX,
        metadata={"description": "Only organizations whose name contains this."},
    )


def _account_id(description: str) -> ma.fields.Integer:
    return ma.fields.Integer(
        required=True, validate=ma.validate.Range(1, ID_MAX), metadata={"description": description}
    )


class NewOrganizationSchema(ma.Schema):
    name = Text(required=True, max_length=ORGANIZATION_NAME_MAX)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    manager_id = _account_id("The customer account that manages it; it may belong to no organization yet.")


class NewMemberSchema(ma.Schema):
    user_id = _account_id("A customer account that belongs to no organization yet.")
    role = ma.fields.String(load_default="member", validate=ma.validate.OneOf(ROLES))


OrganizationPage = page_of(OrganizationSchema, "OrganizationPageSchema")
MemberPage = page_of(MemberSchema, "MemberPageSchema")


def _organization(organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        api_abort(404)
    return organization


def _customer(user_id: int, field: str) -> User:
    """The customer account ``field`` names: 404 when no account has the id, 422 for a staff account."""
    user = db.session.get(User, user_id)
    if user is None:
        api_abort(404, f"No account has the id {user_id}.")
    if user.role != "customer":
        api_abort(422, errors={"json": {field: ["Only customer accounts can belong to an organization."]}})
    return user


def _join(organization: Organization, user: User, role: str) -> Membership:
    """Add the customer through the organization pages' rule; one in an organization already is a 409."""
    try:
        return membership.add_member(organization, user, role, current_api_user().id, via="api")
    except membership.MembershipError as error:
        api_abort(409, error.message)


def _member_fields(row: Membership, user: User) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "email": user.email,
        "name": user.name,
        "role": row.role,
        "joined_at": row.joined_at,
    }


@organizations_api.route("/")
@organizations_api.etag
@organizations_api.arguments(OrganizationListArguments, location="query")
@organizations_api.response(200, OrganizationPage)
@api_access(AGENT, "organizations:read")
def organizations(arguments: dict[str, Any]) -> Any:
    """Every organization, oldest first: page on with the cursor to pick up the ones set up since."""
    query = select(Organization)
    if arguments["search"]:
        query = query.where(Organization.name.icontains(arguments["search"], autoescape=True))
    return api_page(query, [Organization.id], arguments)


@organizations_api.route("/mine")
@organizations_api.etag
@organizations_api.response(200, OwnOrganizationSchema)
@api_access(CUSTOMER, "organizations:read")
def own_organization() -> Any:
    """The organization the token's account belongs to, with its role there; 404 when it is in none.

    A customer belongs to one organization at the most, so this is one object rather than a list,
    and it never names an organization the account is not in.
    """
    own = membership.membership_of(current_api_user().id)
    if own is None:
        api_abort(404, "This account belongs to no organization.")
    organization = _organization(own.organization_id)
    return {
        "id": organization.id,
        "name": organization.name,
        "kind": organization.kind,
        "created_at": organization.created_at,
        "role": own.role,
        "joined_at": own.joined_at,
    }


@organizations_api.route("/<int:organization_id>")
@organizations_api.etag
@organizations_api.response(200, OrganizationSchema)
@api_access(AGENT, "organizations:read")
def organization(organization_id: int) -> Any:
    """One organization."""
    return _organization(organization_id)


@organizations_api.route("/<int:organization_id>/members")
@organizations_api.etag
@organizations_api.arguments(PageArguments, location="query")
@organizations_api.response(200, MemberPage)
@api_access(AGENT, "organizations:read")
def members(arguments: dict[str, Any], organization_id: int) -> Any:
    """The organization's members and their roles, by account id."""
    _organization(organization_id)
    query = select(Membership).where(Membership.organization_id == organization_id)
    page = api_page(query, [Membership.user_id], arguments)
    ids = [row.user_id for row in page["items"]]
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
    page["items"] = [_member_fields(row, users[row.user_id]) for row in page["items"]]
    return page


@organizations_api.route("/", methods=["POST"])
@organizations_api.arguments(NewOrganizationSchema)
@organizations_api.response(201, OrganizationSchema)
@api_access(AGENT, "organizations:write")
def add_organization(fields: dict[str, Any]) -> Any:
    """Set up an organization with a customer as its manager, as the staff page does.

    It never exists without a manager, so no member added later is left without anyone to act for
    them. A manager who belongs to an organization already is a 409 and nothing is made.
    """
    manager = _customer(fields["manager_id"], "manager_id")
    organization = membership.create_organization(fields["name"], fields["kind"], current_api_user().id)
    _join(organization, manager, "manager")
    db.session.commit()
    return organization


@organizations_api.route("/<int:organization_id>/members", methods=["POST"])
@organizations_api.arguments(NewMemberSchema)
@organizations_api.response(201, MemberSchema)
@api_access(AGENT, "organizations:write")
def add_member(fields: dict[str, Any], organization_id: int) -> Any:
    """Put an existing customer account into the organization; 409 when it belongs to one already.

    An organization left with no manager (its last one left it or was erased) takes a manager first,
    so a member is never added where nobody may act for them.
    """
    organization = _organization(organization_id)
    user = _customer(fields["user_id"], "user_id")
    if fields["role"] == "member" and membership.manager_count(organization.id) == 0:
        api_abort(409, "This organization has no manager; add a manager first.")
    joined = _join(organization, user, fields["role"])
    db.session.commit()
    return _member_fields(joined, user)


@organizations_api.route("/<int:organization_id>/members/<int:user_id>", methods=["DELETE"])
@organizations_api.response(204)
@api_access(AGENT, "organizations:write")
def remove_member(organization_id: int, user_id: int) -> None:
    """Take a member out of the organization; 404 for someone not in it, 409 for its last manager."""
    try:
        membership.remove_member(organization_id, user_id, current_api_user().id)
    except membership.NotAMemberError:
        api_abort(404)
    except membership.MembershipError as error:
        api_abort(409, error.message)
    db.session.commit()
