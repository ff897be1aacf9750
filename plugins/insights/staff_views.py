"""Staff pages at /staff/insights: the customers at risk, the rules in words, and setting a stage."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.plugin import User, agent, db, keyset_page, local_path

from .forms import OverrideForm, ReleaseForm
from .grading import grade_cut
from .models import Profile
from .overrides import OverrideError, override_stage, release_override
from .rules import STAGE_LABELS, describe_reason, rules_in_words
from .settings import thresholds

staff_bp = Blueprint("insights_staff", __name__, url_prefix="/staff/insights", template_folder="templates")

PAGE_SIZE = 25
BACK_MAX = 1000


@staff_bp.route("/at-risk")
@agent
def at_risk() -> str:
    """Customers showing signs of leaving, the most valuable first, each with the reasons in words."""
    query = (
        select(Profile, User.name, User.email, User.last_login_at)
        .join(User, User.id == Profile.customer_id)
        .where(Profile.at_risk.is_(True))
    )
    page = keyset_page(
        query,
        [Profile.value, Profile.customer_id],
        cursor=request.args.get("cursor"),
        size=PAGE_SIZE,
        descending=True,
        scalars=False,
    )
    rows = [
        (profile, name, email, last_login_at, [describe_reason(reason) for reason in profile.risk_reasons])
        for profile, name, email, last_login_at in page.items
    ]
    return render_template("insights/at_risk.html", page=page, rows=rows, stage_labels=STAGE_LABELS)


@staff_bp.route("/rules")
@agent
def rules() -> str:
    """How stages, grades and risk are decided, with the numbers in force, and where to change them."""
    limits = thresholds()
    return render_template(
        "insights/rules.html", rules=rules_in_words(limits), limits=limits, cut=grade_cut()
    )


@staff_bp.route("/customers/<int:customer_id>/stage", methods=["POST"])
@agent
def set_stage(customer_id: int) -> Response:
    """Set the customer's stage by hand, with a reason the history keeps."""
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            override_stage(customer_id, form.stage.data, form.reason.data, current_user)
        except OverrideError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Stage set. The rules leave it alone until you hand it back."), "success")
    else:
        _flash_errors(form)
    return _back_to(customer_id)


@staff_bp.route("/customers/<int:customer_id>/stage/release", methods=["POST"])
@agent
def release_stage(customer_id: int) -> Response:
    """Hand the stage back to the rules, which place the customer again at once."""
    form = ReleaseForm()
    if form.validate_on_submit():
        try:
            release_override(customer_id, form.reason.data or "", current_user)
        except OverrideError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The rules place this customer again."), "success")
    else:
        _flash_errors(form)
    return _back_to(customer_id)


def _flash_errors(form: OverrideForm | ReleaseForm) -> None:
    messages = [message for errors in form.errors.values() for message in errors]
    flash(" ".join(str(message) for message in messages) or _("The form expired; please try again."), "error")


def _back_to(customer_id: int) -> Response:
    """Back where the form was sent from (the dashboard names itself in ``back``), else the 360° page."""
    back = local_path(request.form.get("back", "")[:BACK_MAX])
    if back is not None and back.startswith("/staff/"):
        return redirect(back, 303)
    return redirect(url_for("staff_customers.show", user_id=customer_id) + "#insights-relationship", 303)
