"""The staff console's organizations: find one, see its members, set one up for a customer.

Staff see every organization; customers never reach these pages. Staff add an existing customer as
manager when a customer asks for help (a company's buyer who cannot create one, say).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import Field

from portal.access import agent
from portal.accounts.models import User, find_user_by_email
from portal.database import db
from portal.organizations import membership
from portal.organizations.forms import AddManagerForm, SearchForm, StaffCreateOrganizationForm
from portal.organizations.models import Organization
from portal.organizations.queries import members_page, organizations_page, page_anchor

bp = Blueprint("organizations_staff", __name__, url_prefix="/staff/organizations")


@bp.route("/")
@agent
def index():
    """Every organization by name, searchable, with the form to set one up."""
    return _list_page(StaffCreateOrganizationForm(formdata=None))


def _list_page(form: StaffCreateOrganizationForm, status: int = 200):
    search = SearchForm(formdata=request.args)
    valid = search.validate()
    query = (search.q.data or "") if valid else ""
    page = organizations_page(query, page_anchor(request.args))
    return render_template("organizations/staff_list.html", page=page, search=search, form=form), (
        400 if not valid else status
    )


@bp.route("/", methods=["POST"])
@agent
def create():
    """Set up an organization with an existing customer as its manager."""
    form = StaffCreateOrganizationForm()
    if form.validate_on_submit():
        manager = _customer_with(form.manager_email)
        if manager is not None:
            organization = membership.create_organization(form.name.data, form.kind.data, current_user.id)
            try:
                membership.add_member(organization, manager, "manager", current_user.id, via="staff")
            except membership.MembershipError as error:
                db.session.rollback()
                form.manager_email.errors.append(error.message)
            else:
                db.session.commit()
                flash(
                    _(
                        "%(organization)s is set up with %(name)s as its manager.",
                        organization=organization.name,
                        name=manager.name,
                    ),
                    "success",
                )
                return redirect(url_for("organizations_staff.detail", organization_id=organization.id))
    return _list_page(form, status=400)


def _customer_with(field: Field) -> User | None:
    """The customer account with the field's address, or ``None`` with an error on the field."""
    user = find_user_by_email(field.data)
    if user is None or user.role != "customer":
        field.errors.append(_("No customer account has this address."))
        return None
    return user


@bp.route("/<int:organization_id>")
@agent
def detail(organization_id: int):
    """One organization and all its members, for staff answering a customer."""
    return _detail_page(organization_id, AddManagerForm(formdata=None))


def _detail_page(organization_id: int, form: AddManagerForm, status: int = 200):
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        abort(404)
    members = members_page(organization.id, page_anchor(request.args))
    return render_template(
        "organizations/staff_detail.html", organization=organization, members=members, form=form
    ), status


@bp.route("/<int:organization_id>/managers", methods=["POST"])
@agent
def add_manager(organization_id: int):
    """Give an organization a manager, for one that lost its last or needs another."""
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        abort(404)
    form = AddManagerForm()
    if form.validate_on_submit():
        user = _customer_with(form.email)
        if user is not None:
            try:
                _make_manager(organization, user)
            except membership.MembershipError as error:
                db.session.rollback()
                form.email.errors.append(error.message)
            else:
                db.session.commit()
                flash(_("%(name)s is now a manager.", name=user.name), "success")
                return redirect(url_for("organizations_staff.detail", organization_id=organization.id))
    return _detail_page(organization_id, form, status=400)


def _make_manager(organization: Organization, user: User) -> None:
    """A member of this organization is promoted; anyone else joins it as a manager."""
    current = membership.membership_of(user.id)
    if current is not None and current.organization_id == organization.id:
        membership.make_manager(organization.id, user.id, current_user.id)
    else:
        membership.add_member(organization, user, "manager", current_user.id, via="staff")
