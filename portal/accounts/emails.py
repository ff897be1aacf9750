"""The account emails, each with the signed link it carries.

Each link's token names the state it vouches for (the address, the password), so it stops working
once that state changes. Links are built with ``external_url``: these mails are also composed in jobs,
where there is no request, and then point at PORTAL_BASE_URL.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.accounts.models import User, find_user_by_email
from portal.jobs import task
from portal.mail import send_mail
from portal.tokens import fingerprint, make_token
from portal.urls import external_url

RESET_LINK_TASK = "core.mail_password_reset"
VERIFICATION_TASK = "core.mail_verification"


def send_verification(user: User) -> None:
    """Mail the link that confirms the account's current address (and only that address)."""
    token = make_token("verify", {"uid": user.id, "email": user.email})
    send_mail(
        user.email,
        user.name,
        "verify_email",
        _l("Confirm your email address"),
        user.language,
        link=external_url("auth.verify_email", token=token),
    )


def send_already_registered(user: User) -> None:
    """Someone signed up with an address that has an account; tell its owner, not the visitor."""
    send_mail(
        user.email,
        user.name,
        "already_registered",
        _l("You already have an account"),
        user.language,
        login_link=external_url("auth.login"),
        reset_link=external_url("auth.forgot_password"),
    )


def send_password_reset(user: User) -> None:
    """Mail a reset link that works only while both the password and the address are unchanged."""
    token = make_token(
        "reset", {"uid": user.id, "pw": fingerprint(user.password_hash), "em": fingerprint(user.email)}
    )
    send_mail(
        user.email,
        user.name,
        "reset_password",
        _l("Reset your password"),
        user.language,
        link=external_url("auth.reset_password", token=token),
    )


def send_password_changed(user: User) -> None:
    """Tell the owner, so a change they did not make does not go unnoticed."""
    send_mail(
        user.email,
        user.name,
        "password_changed",
        _l("Your password was changed"),
        user.language,
        reset_link=external_url("auth.forgot_password"),
    )


def send_email_change_confirmation(user: User, new_email: str) -> None:
    """Mail the new address a link bound to the current address, the new one and the password."""
    token = make_token(
        "email-change",
        {"uid": user.id, "old": user.email, "new": new_email, "pw": fingerprint(user.password_hash)},
    )
    send_mail(
        new_email,
        user.name,
        "confirm_new_email",
        _l("Confirm your new email address"),
        user.language,
        link=external_url("account.confirm_email_change", token=token),
    )


def send_email_taken(name: str, address: str, language: str) -> None:
    """The new address already has an account: tell that mailbox, reveal nothing to the requester."""
    send_mail(
        address,
        name,
        "email_taken",
        _l("Someone tried to use your email address"),
        language,
        login_link=external_url("auth.login"),
    )


def send_email_changed_notice(user: User, old_email: str) -> None:
    """Tell the old address, so an owner whose account was taken over hears of it."""
    send_mail(
        old_email,
        user.name,
        "email_changed",
        _l("Your email address was changed"),
        user.language,
        new_email=user.email,
    )


@task(RESET_LINK_TASK)
def mail_password_reset(email: str) -> None:
    """Look the address up and mail a reset link if it has an account.

    Forgot-password queues this for every address, so the request does the same work and takes the
    same time whether or not an account exists; only this job, off the request path, knows.
    """
    user = find_user_by_email(email)
    if user is not None and not user.is_integration:
        send_password_reset(user)


@task(VERIFICATION_TASK)
def mail_verification(email: str) -> None:
    """Mail a new confirmation link if the address has an account still waiting for one.

    Queued for every address by "send the link again", for the same reason as ``mail_password_reset``.
    """
    user = find_user_by_email(email)
    if user is not None and not user.email_verified and not user.is_integration:
        send_verification(user)
