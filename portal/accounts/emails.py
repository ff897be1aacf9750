"""The account emails, each with the signed link it carries."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.accounts.models import User
from portal.mail import send_mail
from portal.tokens import fingerprint, make_token


def send_verification(user: User) -> None:
    token = make_token("verify", {"uid": user.id, "email": user.email})
    send_mail(
        user.email,
        user.name,
        "verify_email",
        _l("Confirm your email address"),
        user.language,
        link=url_for("auth.verify_email", token=token, _external=True),
    )


def send_already_registered(user: User) -> None:
    """Someone signed up with an address that has an account; tell its owner, not the visitor."""
    send_mail(
        user.email,
        user.name,
        "already_registered",
        _l("You already have an account"),
        user.language,
        login_link=url_for("auth.login", _external=True),
        reset_link=url_for("auth.forgot_password", _external=True),
    )


def send_password_reset(user: User) -> None:
    token = make_token("reset", {"uid": user.id, "pw": fingerprint(user.password_hash)})
    send_mail(
        user.email,
        user.name,
        "reset_password",
        _l("Reset your password"),
        user.language,
        link=url_for("auth.reset_password", token=token, _external=True),
    )


def send_password_changed(user: User) -> None:
    send_mail(
        user.email,
        user.name,
        "password_changed",
        _l("Your password was changed"),
        user.language,
        reset_link=url_for("auth.forgot_password", _external=True),
    )


def send_email_change_confirmation(user: User, new_email: str) -> None:
    token = make_token("email-change", {"uid": user.id, "old": user.email, "new": new_email})
    send_mail(
        new_email,
        user.name,
        "confirm_new_email",
        _l("Confirm your new email address"),
        user.language,
        link=url_for("account.confirm_email_change", token=token, _external=True),
    )


def send_email_taken(name: str, address: str, language: str) -> None:
    """The new address already has an account: tell that mailbox, reveal nothing to the requester."""
    send_mail(
        address,
        name,
        "email_taken",
        _l("Someone tried to use your email address"),
        language,
        login_link=url_for("auth.login", _external=True),
    )


def send_email_changed_notice(user: User, old_email: str) -> None:
    send_mail(
        old_email,
        user.name,
        "email_changed",
        _l("Your email address was changed"),
        user.language,
        new_email=user.email,
    )
