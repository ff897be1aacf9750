"""Inviting someone into an organization by email, and the single-use link that lets them join.

The link is a signed token naming the invitation. It works once because accepting sets
``accepted_at`` in the same statement that checks it is still unset, and it stops working when the
invitation expires, is withdrawn, or is replaced by a newer one to the same address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select, update

from portal import audit
from portal.accounts.models import User, find_user_by_email, normalise_email
from portal.database import db, rows_matched, utcnow
from portal.mail import send_mail
from portal.organizations.membership import MembershipError, add_member, membership_of
from portal.organizations.models import Invitation, Membership, Organization
from portal.tokens import ExpiredTokenError, InvalidTokenError, make_token, read_token
from portal.urls import external_url

INVITATION_LIFETIME = timedelta(days=7)  # the invitation mail says "a week"
MAX_PENDING_INVITATIONS = 50
TOKEN_PURPOSE = "organization-invitation"  # noqa: S105  (a token salt, not a secret)


class InvitationProblemError(Exception):
    """Why a link cannot be used, said to the person holding it, with the status the page answers."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class InvalidInvitationLinkError(Exception):
    """The link was altered or names no invitation; the view shows the core's "bad link" page."""


def pending_filter(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The conditions of an invitation that can still be accepted."""
    return (Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)


def invite(organization: Organization, email: str, name: str | None, inviter: User) -> Invitation:
    """Record an invitation, replacing any earlier one to the same address, so only the newest link works.

    Refused when the organization already has ``MAX_PENDING_INVITATIONS`` waiting, so a manager's
    account cannot be used to send mail to any number of strangers.
    """
    now = utcnow()
    email = normalise_email(email)
    pending = db.session.execute(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.organization_id == organization.id, *pending_filter(now))
    ).scalar_one()
    if pending >= MAX_PENDING_INVITATIONS:
        raise MembershipError(
            _(
                "%(count)d invitations are waiting for an answer. Withdraw some before sending more.",
                count=pending,
            )
        )
    db.session.execute(
        update(Invitation)
        .where(Invitation.organization_id == organization.id, Invitation.email == email, *pending_filter(now))
        .values(revoked_at=now)
    )
    invitation = Invitation(
        organization_id=organization.id,
        email=email,
        name=name or None,
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "organization_invitation_sent",
        actor_id=inviter.id,
        organization_id=organization.id,
        invitation_id=invitation.id,
    )
    return invitation


def send_invitation(invitation: Invitation, organization: Organization, inviter: User) -> None:
    """Email the link. An address with an account gets it in that account's language, nothing else."""
    account = find_user_by_email(invitation.email)
    recipient = invitation.name or (account.name if account else invitation.email)
    token = make_token(TOKEN_PURPOSE, {"invitation": invitation.id})
    send_mail(
        invitation.email,
        recipient,
        "organization_invitation",
        _l("Join %(organization)s on our customer portal", organization=organization.name),
        account.language if account else inviter.language,
        link=external_url("organizations.join", token=token),
        organization_name=organization.name,
        inviter_name=inviter.name,
    )


def revoke(organization_id: int, invitation_id: int, actor_id: int) -> bool:
    """Withdraw a pending invitation of this organization; ``False`` when there is no such invitation."""
    now = utcnow()
    result = rows_matched(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.organization_id == organization_id,
            *pending_filter(now),
        )
        .values(revoked_at=now)
    )
    if result != 1:
        return False
    audit.record(
        "organization_invitation_revoked",
        actor_id=actor_id,
        organization_id=organization_id,
        invitation_id=invitation_id,
    )
    return True


def invitation_from_token(token: str) -> Invitation:
    """The invitation the link names; raises when the link is altered, expired, or names nothing."""
    try:
        payload = read_token(TOKEN_PURPOSE, token, int(INVITATION_LIFETIME.total_seconds()))
    except ExpiredTokenError as error:
        raise InvitationProblemError(_expired_message(), 410) from error
    except InvalidTokenError as error:
        raise InvalidInvitationLinkError from error
    invitation_id = payload.get("invitation")
    invitation = db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    if invitation is None:
        raise InvalidInvitationLinkError
    return invitation


def check_usable(invitation: Invitation, user: User) -> None:
    """Raise ``InvitationProblemError`` unless ``user`` may accept ``invitation`` now.

    The address is compared first, so a person holding someone else's link learns nothing about the
    invitation's state.
    """
    if normalise_email(user.email) != invitation.email:
        raise InvitationProblemError(
            _(
                "This invitation was sent to a different email address than yours (%(email)s). "
                "Sign in with the account that uses the invited address, or ask for an invitation "
                "to your own.",
                email=user.email,
            ),
            403,
        )
    current = membership_of(user.id)
    if current is not None and current.organization_id == invitation.organization_id:
        raise InvitationProblemError(_("You are already a member of this organization."), 409)
    if invitation.revoked_at is not None:
        raise InvitationProblemError(
            _("This invitation was withdrawn. Ask the person who invited you for a new one."), 410
        )
    if invitation.accepted_at is not None:
        raise InvitationProblemError(_("This invitation was already used. Each invitation works once."), 410)
    if invitation.expires_at <= utcnow():
        raise InvitationProblemError(_expired_message(), 410)
    if user.role != "customer":
        raise InvitationProblemError(_("Only customer accounts can join an organization."), 403)
    if current is not None:
        organization = db.session.get(Organization, current.organization_id)
        raise InvitationProblemError(
            _(
                "You already belong to %(name)s. Leave it on your organization page before you join another.",
                name=organization.name if organization else "",
            ),
            409,
        )


def accept(invitation: Invitation, user: User) -> Membership:
    """Join the organization as a member and spend the invitation, both or neither."""
    check_usable(invitation, user)
    now = utcnow()
    spent = rows_matched(
        update(Invitation).where(Invitation.id == invitation.id, *pending_filter(now)).values(accepted_at=now)
    )
    if spent != 1:
        db.session.rollback()
        raise InvitationProblemError(_("This invitation was already used. Each invitation works once."), 410)
    organization = db.session.get_one(Organization, invitation.organization_id)
    try:
        return add_member(organization, user, "member", actor_id=user.id, via="invitation")
    except MembershipError as error:
        db.session.rollback()
        raise InvitationProblemError(error.message, 409) from error


def _expired_message() -> str:
    return _("This invitation has expired. Ask the person who invited you for a new one.")
