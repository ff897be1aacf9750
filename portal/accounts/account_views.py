"""The signed-in person's own account: profile, password, email address, data export, deletion."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.access import customer, public
from portal.accounts import emails
from portal.accounts.data_rights import erase_customer, export_customer_data
from portal.accounts.forms import ChangeEmailForm, ChangePasswordForm, DeleteAccountForm, ProfileForm
from portal.accounts.links import bad_link
from portal.accounts.models import User, find_user_by_email, new_session_token, normalise_email
from portal.database import db, rows_matched, utcnow
from portal.passwords import hash_password, verify_password
from portal.tokens import ExpiredTokenError, InvalidTokenError, fingerprint, read_token

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
@customer
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data
        current_user.language = form.language.data
        current_user.timezone = form.timezone.data
        current_user.calendar = form.calendar.data
        current_user.address_street = (form.address_street.data or "").strip()
        current_user.address_postal_code = (form.address_postal_code.data or "").strip()
        current_user.address_city = (form.address_city.data or "").strip()
        current_user.address_country = form.address_country.data or ""
        current_user.phone = (form.phone.data or "").strip()
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form), (400 if form.errors else 200)


@bp.route("/password", methods=["GET", "POST"])
@customer
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("That is not your current password."))
        elif not _replace_password(current_user._get_current_object(), form.new_password.data):
            # Another tab changed it a moment ago: the password typed here is no longer the current one.
            form.current_password.errors.append(_("That is not your current password."))
        else:
            user = current_user._get_current_object()
            audit.record("password_changed", actor_id=user.id)
            emails.send_password_changed(user)
            db.session.commit()
            login_user(user)
            flash(_("Your password is changed and you were signed out everywhere else."), "success")
            return redirect(url_for("account.profile"))
    return render_template("account/password.html", form=form), (400 if form.errors else 200)


def _replace_password(user: User, new_password: str) -> bool:
    """Set a new password and end every other session, only if the password is still the one checked.

    One conditional UPDATE, so of simultaneous changes exactly one happens and is announced.
    """
    changed = rows_matched(
        update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(password_hash=hash_password(new_password), session_token=new_session_token())
        .execution_options(synchronize_session=False)
    )
    if not changed:
        db.session.rollback()
        return False
    db.session.refresh(user)
    return True


@bp.route("/email", methods=["GET", "POST"])
@customer
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        new_email = normalise_email(form.email.data)
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("That is not your current password."))
        elif new_email == current_user.email:
            form.email.errors.append(_("That is already your email address."))
        else:
            if find_user_by_email(new_email) is not None:
                emails.send_email_taken(current_user.name, new_email, current_user.language)
            else:
                emails.send_email_change_confirmation(current_user, new_email)
            db.session.commit()
            flash(
                _(
                    "We sent a confirmation link to %(email)s. Your address changes when you open it.",
                    email=new_email,
                ),
                "info",
            )
            return redirect(url_for("account.profile"))
    return render_template("account/email.html", form=form), (400 if form.errors else 200)


@bp.route("/email/confirm/<token>")
@public
def confirm_email_change(token: str):
    try:
        payload = read_token("email-change", token, current_app.config["PORTAL_VERIFY_TOKEN_MAX_AGE"])
    except ExpiredTokenError:
        flash(
            _("That confirmation link has expired. Ask for the change again from your account page."), "error"
        )
        return redirect(url_for("account.profile"))
    except InvalidTokenError:
        return bad_link()
    user = db.session.get(User, payload.get("uid"))
    if (
        user is None
        or user.email != payload.get("old")
        or payload.get("pw") != fingerprint(user.password_hash)
    ):
        return bad_link()
    new_email = payload.get("new", "")
    taken = db.session.scalar(select(func.count()).select_from(User).where(User.email == new_email))
    if taken:
        return _address_taken()
    old_email = user.email
    # Only while the address and password are still the ones the link vouched for: of many
    # simultaneous clicks one changes the address, and only that one notifies the old address.
    try:
        changed = rows_matched(
            update(User)
            .where(User.id == user.id, User.email == old_email, User.password_hash == user.password_hash)
            .values(email=new_email, email_verified_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:  # someone registered the new address a moment ago
        db.session.rollback()
        return _address_taken()
    if not changed:
        db.session.rollback()
        return bad_link()
    db.session.refresh(user)
    audit.record("email_changed", actor_id=user.id)
    emails.send_email_changed_notice(user, old_email)
    db.session.commit()
    flash(_("Your email address is now %(email)s.", email=new_email), "success")
    return redirect(url_for("account.profile"))


def _address_taken():
    flash(_("That address now belongs to another account, so your address was not changed."), "error")
    return redirect(url_for("account.profile"))


@bp.route("/export")
@customer
def export_data():
    data = export_customer_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-portal-data.json"'},
    )


@bp.route("/delete", methods=["GET", "POST"])
@customer
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("That is not your current password."))
        elif user.is_admin and _admin_count() == 1:
            form.confirm.errors.append(
                _("You are the only administrator. Make someone else an administrator first.")
            )
        else:
            logout_user()
            erase_customer(user)
            flash(_("Your account and your data are deleted. Thank you for having been with us."), "info")
            return redirect(url_for("dashboard.index"))
    return render_template("account/delete.html", form=form), (400 if form.errors else 200)


def _admin_count() -> int:
    return db.session.execute(
        select(func.count()).select_from(User).where(User.role == "admin", User.is_integration.is_(False))
    ).scalar_one()
