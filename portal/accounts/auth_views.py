"""Registering, confirming an address, signing in and out, and resetting a forgotten password.

None of these pages tells a visitor whether an address has an account: the answers are the same and
the address's owner gets an email instead.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import RouteCallable
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.access import customer, public
from portal.accounts import emails
from portal.accounts.forms import EmailOnlyForm, LoginForm, RegisterForm, ResetPasswordForm
from portal.accounts.links import bad_link
from portal.accounts.models import User, find_user_by_email, new_session_token, normalise_email
from portal.core_events import EmailVerified, UserRegistered
from portal.database import db, rows_matched, utcnow
from portal.events import emit
from portal.jobs import enqueue
from portal.passwords import hash_password, needs_rehash, verify_password
from portal.tokens import ExpiredTokenError, InvalidTokenError, fingerprint, read_token
from portal.urls import local_path

bp = Blueprint("auth", __name__)


def _auth_ip_limit() -> str:
    return current_app.config["PORTAL_AUTH_IP_LIMIT"]


def _login_failure_limit() -> str:
    return current_app.config["PORTAL_LOGIN_FAILURE_LIMIT"]


def _login_attempt_key() -> str:
    """Failures count per address and client, so nobody can lock a customer out from elsewhere."""
    email = normalise_email(request.form.get("email", ""))[:254]
    return f"login:{email}:{request.remote_addr}"


def _login_failed(response: object) -> bool:
    return getattr(response, "status_code", 200) != 302


def install_rate_limits(app: Flask, limiter: Limiter) -> None:
    """Limit every authentication form per client, and failed sign-ins per address and client."""
    per_client = limiter.limit(_auth_ip_limit, methods=["POST"])
    for endpoint in ("register", "resend_verification", "login", "forgot_password", "reset_password"):
        # cast: Flask-Limiter types its decorator for one callable, Flask a union of sync and async views.
        app.view_functions[f"auth.{endpoint}"] = cast(
            RouteCallable, per_client(app.view_functions[f"auth.{endpoint}"])
        )
    failures = limiter.limit(
        _login_failure_limit, key_func=_login_attempt_key, methods=["POST"], deduct_when=_login_failed
    )
    app.view_functions["auth.login"] = cast(RouteCallable, failures(app.view_functions["auth.login"]))


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        password_hash = hash_password(form.password.data)
        existing = find_user_by_email(email)
        if existing is not None:
            emails.send_already_registered(existing)
        else:
            user = User(
                name=form.name.data,
                email=email,
                password_hash=password_hash,
                language=_visitor_language(),
            )
            db.session.add(user)
            try:
                db.session.flush()
            except IntegrityError:
                db.session.rollback()
                raced = find_user_by_email(email)
                if raced is not None:
                    emails.send_already_registered(raced)
            else:
                audit.record("registered", actor_id=user.id)
                emit(UserRegistered(user_id=user.id), customer_id=user.id, actor_id=user.id)
                emails.send_verification(user)
        db.session.commit()
        session["portal_check_email"] = email
        return redirect(url_for("auth.check_email"))
    return render_template("auth/register.html", form=form)


def _visitor_language() -> str:
    languages = current_app.config["PORTAL_LANGUAGES"]
    return request.accept_languages.best_match(languages) or current_app.config["PORTAL_DEFAULT_LANGUAGE"]


@bp.route("/register/check-email")
@public
def check_email():
    return render_template(
        "auth/check_email.html", email=session.get("portal_check_email"), form=EmailOnlyForm()
    )


@bp.route("/verify/resend", methods=["POST"])
@public
def resend_verification():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        enqueue(emails.VERIFICATION_TASK, email=email)  # the job, not the request, looks the address up
        db.session.commit()
        session["portal_check_email"] = email
        flash(_("If that address has an account waiting for confirmation, a new link is on its way."), "info")
        return redirect(url_for("auth.check_email"))
    return render_template("auth/check_email.html", email=None, form=form), 400


@bp.route("/verify/<token>")
@public
def verify_email(token: str):
    max_age = current_app.config["PORTAL_VERIFY_TOKEN_MAX_AGE"]
    try:
        payload = read_token("verify", token, max_age)
    except ExpiredTokenError:
        # The page itself offers the new link: no "we sent a message" about a mail that is no longer good.
        return render_template("auth/check_email.html", email=None, expired=True, form=EmailOnlyForm()), 410
    except InvalidTokenError:
        return bad_link()
    user = db.session.get(User, payload.get("uid"))
    if user is None or user.email != payload.get("email"):
        return bad_link()
    # One conditional UPDATE: of many simultaneous clicks exactly one confirms, records and announces.
    confirmed = rows_matched(
        update(User)
        .where(User.id == user.id, User.email == payload.get("email"), User.email_verified_at.is_(None))
        .values(email_verified_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not confirmed:
        db.session.rollback()
        flash(_("Your email address is already confirmed. You can sign in."), "info")
        return redirect(url_for("auth.login"))
    audit.record("email_verified", actor_id=user.id)
    emit(EmailVerified(user_id=user.id), customer_id=user.id, actor_id=user.id)
    db.session.commit()
    flash(_("Thank you, your email address is confirmed. You can sign in now."), "success")
    return redirect(url_for("auth.login"))


def landing_page(user: User) -> str:
    """Where signing in leads without a `next`: staff work from the console, customers from the dashboard."""
    return url_for("staff.home") if user.is_staff else url_for("dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(landing_page(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is not None and user.is_integration:
            user = None  # an integration acts only through its API tokens: as if the address were unknown
        # Checked for an unknown address too, so the answer takes as long whether the account exists.
        password_matches = verify_password(user.password_hash if user else None, form.password.data)
        if user is None or not password_matches:
            audit.record(
                "login_failed", actor_id=user.id if user else None, email=normalise_email(form.email.data)
            )
            db.session.commit()
            form.password.errors.append(
                _("That email address and password do not match. Check both and try again.")
            )
            return render_template("auth/login.html", form=form), 200
        if not user.email_verified:
            emails.send_verification(user)
            db.session.commit()
            form.email.errors.append(
                _("Confirm your email address first: we have just sent you a new confirmation link.")
            )
            return render_template("auth/login.html", form=form), 200
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(form.password.data)
        next_url = local_path(request.args.get("next"))
        session.clear()
        login_user(user, remember=form.remember.data)
        user.last_login_at = utcnow()
        audit.record("login", actor_id=user.id)
        db.session.commit()
        return redirect(next_url or landing_page(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@customer
def logout():
    """Sign out everywhere this account's cookies went: a copied session or remember cookie stops working."""
    user = current_user._get_current_object()
    user.end_other_sessions()
    audit.record("logout", actor_id=user.id)
    db.session.commit()
    session.clear()
    logout_user()  # after clear(): it leaves the note that makes Flask-Login delete the remember cookie
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        enqueue(emails.RESET_LINK_TASK, email=email)  # the job, not the request, looks the address up
        db.session.commit()
        return render_template("auth/reset_sent.html", email=email)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    max_age = current_app.config["PORTAL_RESET_TOKEN_MAX_AGE"]
    try:
        payload = read_token("reset", token, max_age)
    except ExpiredTokenError:
        flash(_("That reset link has expired. Ask for a new one below; it is valid for an hour."), "error")
        return redirect(url_for("auth.forgot_password"))
    except InvalidTokenError:
        return bad_link()
    user = db.session.get(User, payload.get("uid"))
    if (
        user is None
        or user.is_integration
        or payload.get("pw") != fingerprint(user.password_hash)
        or payload.get("em") != fingerprint(user.email)
    ):
        return bad_link()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        # Only while the password and address are still the ones the link vouched for: of two
        # simultaneous uses of one link, one changes the password and the other finds it used.
        changed = rows_matched(
            update(User)
            .where(User.id == user.id, User.password_hash == user.password_hash, User.email == user.email)
            .values(
                password_hash=hash_password(form.password.data),
                session_token=new_session_token(),
                # Opening the link proved the mailbox is theirs.
                email_verified_at=func.coalesce(User.email_verified_at, utcnow()),
            )
            .execution_options(synchronize_session=False)
        )
        if not changed:
            db.session.rollback()
            return bad_link()
        audit.record("password_reset", actor_id=user.id)
        emails.send_password_changed(user)
        db.session.commit()
        flash(_("Your password is changed. Sign in with your new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, token=token)
