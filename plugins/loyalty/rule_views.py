"""The administrators' earning rules page at /staff/loyalty/earning-rules: which events pay points."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from portal.plugin import admin, db, record_audit_event

from . import earning_rules
from .forms import EarningRuleForm
from .models import EarningRule

rules_bp = Blueprint(
    "loyalty_rules", __name__, url_prefix="/staff/loyalty/earning-rules", template_folder="templates"
)


@rules_bp.route("/")
@admin
def index() -> str:
    """Every rule with its points, cap and state, and the events no rule pays for yet."""
    rules = earning_rules.all_rules()
    events = {event.name: event for event in earning_rules.earnable_events()}
    return render_template(
        "loyalty/earning_rules.html",
        rules=rules,
        events=events,
        periods=earning_rules.PERIOD_LABELS,
        unpaid=[name for name in events if name not in {rule.event_name for rule in rules}],
    )


@rules_bp.route("/new", methods=["GET", "POST"])
@admin
def new() -> str | Response:
    """An administrator makes a declared event earn points: picked from the list, never typed."""
    form = EarningRuleForm(event_name=request.args.get("event", ""))
    if form.validate_on_submit():
        saved = _save(EarningRule(event_name=form.event_name.data), form, created=True)
        if saved is not None:
            return saved
        form.event_name.errors = [_("This event already has a rule: change that rule instead.")]
    return _form_page(form, None)


@rules_bp.route("/<int:rule_id>", methods=["GET", "POST"])
@admin
def edit(rule_id: int) -> str | Response:
    """An administrator changes a rule's points, cap or reason, or switches it off; its event stays."""
    rule = db.session.get(EarningRule, rule_id) or abort(404)
    form = EarningRuleForm(obj=None if request.method == "POST" else rule)
    del form.event_name
    if form.validate_on_submit():
        return _save(rule, form, created=False) or abort(409)
    return _form_page(form, rule)


def _save(rule: EarningRule, form: EarningRuleForm, created: bool) -> Response | None:
    """Store the rule and audit who did it; ``None`` when another administrator just made one for it."""
    earning_rules.save_rule(
        rule,
        points=form.points.data,
        cap_count=form.cap_count.data,
        cap_period=form.cap_period.data or None,
        reason=form.reason.data or "",
        active=form.active.data,
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    record_audit_event(
        "loyalty.earning_rule_saved",
        current_user.id,
        rule_id=rule.id,
        event=rule.event_name,
        points=rule.points,
        cap_count=rule.cap_count,
        cap_period=rule.cap_period,
        active=rule.active,
        created=created,
    )
    db.session.commit()
    flash(_("The earning rule for %(event)s is saved.", event=rule.event_name), "success")
    return redirect(url_for("loyalty_rules.index"), 303)


def _form_page(form: EarningRuleForm, rule: EarningRule | None) -> str:
    if request.method == "POST":
        flash(_("The earning rule is not saved. Fix the fields marked below."), "error")
    event = earning_rules.earnable_event(rule.event_name) if rule else None
    return render_template("loyalty/earning_rule_form.html", form=form, rule=rule, event=event)
