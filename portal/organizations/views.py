"""The customer's organization page: start one, manage members and invitations, join through a link.

Managers manage; members see the organization's name and managers and may leave. Staff reach
organizations through the staff console (``staff_views``), never through these pages.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import RouteCallable
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.access import customer
from portal.accounts.links import bad_link
from portal.accounts.models import User, normalise_email
from portal.database import db
from portal.organizations import invitations, membership, staff_views
from portal.organizations.forms import CreateOrganizationForm, InviteForm
from portal.organizations.models import Membership, Organization
from portal.organizations.queries import (
    member_row,
    members_page,
    page_anchor,
    pending_invitations_page,
)

bp = Blueprint("organizations", __name__, url_prefix="/organization")

INVITE_RATE_LIMIT = "20 per hour"
MAX_TOKEN_LENGTH = 200


def install(app: Flask, limiter: Limiter) -> None:
    """Register the customer and staff pages, and limit how many invitations one account sends."""
    app.register_blueprint(bp)
    app.register_blueprint(staff_views.bp)
    limit = limiter.limit(INVITE_RATE_LIMIT, key_func=_inviter_key, methods=["POST"])
    # cast: Flask-Limiter types its decorator for one callable, Flask a union of sync and async views.
    app.view_functions["organizations.invite"] = cast(
        RouteCallable, limit(app.view_functions["organizations.invite"])
    )


def _inviter_key() -> str:
    """Invitations count per account; a visitor (sent on to sign in) counts per address."""
    if current_user.is_authenticated:
        return f"invite:{current_user.id}"
    return f"invite-from:{get_remote_address()}"


def _customer_membership() -> Membership | None:
    """The signed-in customer's membership; staff have no organization page (403)."""
    if current_user.role != "customer":
        abort(403)
    return membership.membership_of(current_user.id)


def _managing() -> Membership:
    """The signed-in manager's membership; anyone else may not manage (403)."""
    mine = _customer_membership()
    if mine is None or not mine.is_manager:
        abort(403)
    return mine


def _back() -> Response:
    return redirect(url_for("organizations.index"))


@bp.route("/")
@customer
def index():
    """The organization page: how to start one, or the organization as this person's role shows it."""
    mine = _customer_membership()
    if mine is None:
        return render_template("organizations/start.html", form=CreateOrganizationForm())
    return _organization_page(mine)


def _organization_page(mine: Membership, invite_form: InviteForm | None = None, status: int = 200):
    organization = db.session.get_one(Organization, mine.organization_id)
    anchor = page_anchor(request.args)
    if not mine.is_manager:
        managers = members_page(organization.id, anchor, managers_only=True)
        return render_template(
            "organizations/member.html", organization=organization, managers=managers
        ), status
    return render_template(
        "organizations/manager.html",
        organization=organization,
        members=members_page(organization.id, anchor),
        invitations=pending_invitations_page(
            organization.id, page_anchor(request.args, after="invitations", before="invitations_before")
        ),
        invite_form=invite_form or InviteForm(formdata=None),
        lifetime_days=invitations.INVITATION_LIFETIME.days,
    ), status


@bp.route("/", methods=["POST"])
@customer
def create():
    """Start an organization; its founder becomes the manager who can invite the others."""
    if _customer_membership() is not None:
        flash(_("You already belong to an organization."), "error")
        return _back()
    form = CreateOrganizationForm()
    if not form.validate_on_submit():
        return render_template("organizations/start.html", form=form), 400
    organization = membership.create_organization(form.name.data, form.kind.data, actor_id=current_user.id)
    try:
        membership.add_member(
            organization, current_user._get_current_object(), "manager", current_user.id, via="created"
        )
    except membership.MembershipError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    flash(_("%(name)s is set up and you are its manager.", name=organization.name), "success")
    return _back()


@bp.route("/invitations", methods=["POST"])
@customer
def invite():
    """Email an invitation; the page reads the same whether or not the address has an account."""
    mine = _managing()
    organization = db.session.get_one(Organization, mine.organization_id)
    form = InviteForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        if _is_member(organization.id, email):
            form.email.errors.append(_("%(email)s is already a member.", email=email))
        else:
            try:
                invitation = invitations.invite(organization, email, form.name.data, current_user)
            except membership.MembershipError as error:
                db.session.rollback()
                form.email.errors.append(error.message)
            else:
                invitations.send_invitation(invitation, organization, current_user)
                db.session.commit()
                flash(_("We sent an invitation to %(email)s.", email=email), "success")
                return _back()
    return _organization_page(mine, invite_form=form, status=400)


def _is_member(organization_id: int, email: str) -> bool:
    found = db.session.scalar(
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization_id, User.email == email)
    )
    return found is not None


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@customer
def revoke_invitation(invitation_id: int):
    """Withdraw a pending invitation of the manager's own organization (404 for any other)."""
    mine = _managing()
    if not invitations.revoke(mine.organization_id, invitation_id, current_user.id):
        abort(404)
    db.session.commit()
    flash(_("The invitation is withdrawn; its link no longer works."), "success")
    return _back()


@bp.route("/members/<int:user_id>/remove", methods=["POST"])
@customer
def remove_member(user_id: int):
    """Remove a member, which ends the managers' view of their shared data at once."""
    mine = _managing()
    member = member_row(mine.organization_id, user_id)
    if member is None:
        abort(404)
    if user_id == current_user.id:
        return _leave(mine)
    try:
        membership.remove_member(mine.organization_id, user_id, current_user.id)
    except membership.NotAMemberError:
        abort(404)
    except membership.MembershipError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    flash(_("%(name)s is no longer a member.", name=member.name), "success")
    return _back()


@bp.route("/members/<int:user_id>/manager", methods=["POST"])
@customer
def make_manager(user_id: int):
    """Make a member a manager, for instance so the only manager can hand over and leave."""
    mine = _managing()
    member = member_row(mine.organization_id, user_id)
    if member is None:
        abort(404)
    try:
        membership.make_manager(mine.organization_id, user_id, current_user.id)
    except membership.NotAMemberError:
        abort(404)
    db.session.commit()
    flash(_("%(name)s is now a manager.", name=member.name), "success")
    return _back()


@bp.route("/leave", methods=["POST"])
@customer
def leave():
    """Leave the organization: its managers stop seeing anything of the person who left."""
    mine = _customer_membership()
    if mine is None:
        return _back()
    return _leave(mine)


def _leave(mine: Membership) -> Response:
    organization = db.session.get_one(Organization, mine.organization_id)
    try:
        membership.leave(mine.organization_id, current_user.id)
    except membership.NotAMemberError:
        return _back()
    except membership.MembershipError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    flash(_("You left %(name)s.", name=organization.name), "success")
    return _back()


@bp.route("/join/<token>", methods=["GET", "POST"])
@customer
def join(token: str):
    """Show an emailed invitation and, on POST, join: only the invited address's account may."""
    if len(token) > MAX_TOKEN_LENGTH:
        return bad_link()
    try:
        invitation = invitations.invitation_from_token(token)
        if request.method == "POST":
            invitations.accept(invitation, current_user._get_current_object())
            db.session.commit()
            organization = db.session.get_one(Organization, invitation.organization_id)
            flash(_("Welcome to %(name)s.", name=organization.name), "success")
            return _back()
        invitations.check_usable(invitation, current_user)
    except invitations.InvalidInvitationLinkError:
        return bad_link()
    except invitations.InvitationProblemError as problem:
        return render_template("organizations/join_problem.html", message=problem.message), problem.status
    organization = db.session.get_one(Organization, invitation.organization_id)
    inviter = db.session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    return render_template("organizations/join.html", organization=organization, inviter=inviter)
