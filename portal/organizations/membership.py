"""Changing who belongs to an organization. Each change is audited, and none leaves members unmanaged.

These functions add to the current transaction and never commit: the view (or ``portal demo``)
commits once the whole change is made. Changes to one organization are serialised by locking its row,
so two managers removing each other at the same moment cannot leave it without a manager.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.accounts.models import User
from portal.database import db
from portal.organizations.models import Invitation, Membership, Organization


class MembershipError(Exception):
    """A change the rules forbid; ``message`` explains it to the reader in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAMemberError(LookupError):
    """The account is not (or no longer) in that organization; the view answers 404."""


def membership_of(user_id: int) -> Membership | None:
    """The account's membership, if it belongs to an organization."""
    return db.session.scalar(select(Membership).where(Membership.user_id == user_id))


def manager_count(organization_id: int) -> int:
    """How many managers the organization has, to keep at least one while members remain."""
    return db.session.execute(
        select(func.count())
        .select_from(Membership)
        .where(Membership.organization_id == organization_id, Membership.role == "manager")
    ).scalar_one()


def member_count(organization_id: int) -> int:
    """How many people belong to the organization, managers included."""
    return db.session.execute(
        select(func.count()).select_from(Membership).where(Membership.organization_id == organization_id)
    ).scalar_one()


def _locked_membership(organization_id: int, user_id: int) -> Membership:
    """Lock the organization (PostgreSQL; SQLite serialises writers anyway), then read the membership."""
    db.session.execute(
        select(Organization.id).where(Organization.id == organization_id).with_for_update()
    ).first()
    membership = db.session.scalar(
        select(Membership)
        .where(Membership.organization_id == organization_id, Membership.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    if membership is None:
        raise NotAMemberError(user_id)
    return membership


def create_organization(name: str, kind: str, actor_id: int | None) -> Organization:
    """Add an organization with no members yet; the caller adds its first manager."""
    organization = Organization(name=name, kind=kind)
    db.session.add(organization)
    db.session.flush()
    audit.record("organization_created", actor_id=actor_id, organization_id=organization.id)
    return organization


def add_member(
    organization: Organization, user: User, role: str, actor_id: int | None, via: str
) -> Membership:
    """Put a customer into the organization; refused for staff and for anyone already in one.

    On refusal because of a concurrent join the transaction is rolled back, so the caller's other
    changes in it (an invitation marked used, say) are undone too.
    """
    if user.role != "customer":
        raise MembershipError(_("Only customer accounts can belong to an organization."))
    if membership_of(user.id) is not None:
        raise MembershipError(_("%(name)s already belongs to an organization.", name=user.name))
    membership = Membership(organization_id=organization.id, user_id=user.id, role=role)
    db.session.add(membership)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise MembershipError(_("%(name)s already belongs to an organization.", name=user.name)) from error
    audit.record(
        "organization_member_added",
        actor_id=actor_id,
        organization_id=organization.id,
        user_id=user.id,
        role=role,
        via=via,
    )
    return membership


def remove_member(organization_id: int, user_id: int, actor_id: int) -> None:
    """A manager removes someone; the last manager cannot be removed, so members are never unmanaged."""
    membership = _locked_membership(organization_id, user_id)
    if membership.is_manager and manager_count(organization_id) == 1:
        raise MembershipError(_("The organization needs at least one manager, so this one cannot go."))
    db.session.delete(membership)
    audit.record(
        "organization_member_removed", actor_id=actor_id, organization_id=organization_id, user_id=user_id
    )


def make_manager(organization_id: int, user_id: int, actor_id: int | None) -> None:
    """Give a member the manager role: they then see and act on what the members share."""
    membership = _locked_membership(organization_id, user_id)
    if membership.is_manager:
        return
    membership.role = "manager"
    audit.record(
        "organization_member_promoted", actor_id=actor_id, organization_id=organization_id, user_id=user_id
    )


def leave(organization_id: int, user_id: int) -> None:
    """A customer leaves; the only manager must hand over first unless nobody else remains."""
    membership = _locked_membership(organization_id, user_id)
    if membership.is_manager and manager_count(organization_id) == 1 and member_count(organization_id) > 1:
        raise MembershipError(_("You are the only manager. Make another member a manager before you leave."))
    db.session.delete(membership)
    audit.record(
        "organization_member_left", actor_id=user_id, organization_id=organization_id, user_id=user_id
    )


def hand_over_before_erasure(user_id: int) -> None:
    """Before an account is erased, keep its organization managed and forget invitations to it.

    If the person is the only manager and others remain, the longest-standing member becomes
    manager, so deleting an account never leaves members without anyone to act for them.
    """
    membership = membership_of(user_id)
    if membership is not None and membership.is_manager and manager_count(membership.organization_id) == 1:
        successor = db.session.scalar(
            select(Membership.user_id)
            .where(Membership.organization_id == membership.organization_id, Membership.user_id != user_id)
            .order_by(Membership.joined_at, Membership.user_id)
            .limit(1)
        )
        if successor is not None:
            make_manager(membership.organization_id, successor, actor_id=None)
    email = db.session.scalar(select(User.email).where(User.id == user_id))
    db.session.execute(delete(Invitation).where(Invitation.email == email, Invitation.accepted_at.is_(None)))
