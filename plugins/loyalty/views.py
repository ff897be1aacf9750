"""The loyalty pages: the customer's points at /loyalty, the staff's tools at /staff/loyalty."""

from __future__ import annotations

import secrets
from datetime import datetime, time
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from portal.plugin import (
    Page,
    User,
    admin,
    agent,
    customer,
    db,
    delete_after_commit,
    discard_unless_committed,
    is_htmx_request,
    keyset_page,
    local_path,
    localized,
    record_audit_event,
    render_widget,
    store_translations,
    translation_data,
)

from . import awards, goodwill_approvals, grants, images, ledger, rewards, tiers, totals
from .forms import (
    REWARD_TEXTS,
    AdjustForm,
    CancelForm,
    GoodwillForm,
    PurchaseForm,
    RedeemForm,
    RewardForm,
    reward_form,
)
from .ledger import LedgerError
from .models import Entry, Redemption, Reward
from .reasons import reason_label

PAGE = 20

bp = Blueprint(
    "loyalty", __name__, url_prefix="/loyalty", template_folder="templates", static_folder="static"
)
staff_bp = Blueprint("loyalty_staff", __name__, url_prefix="/staff/loyalty", template_folder="templates")
bp.add_app_template_global(reason_label, "loyalty_reason")


def new_key() -> str:
    return secrets.token_urlsafe(16)


def history_page(user_id: int, before: str | None) -> Page:
    """A page of entries, newest first, by keyset on the (user_id, id) index."""
    query = select(Entry).where(Entry.user_id == user_id)
    return keyset_page(query, [Entry.id], cursor=before, size=PAGE, descending=True)


def monthly_chart(user_id: int) -> list[dict[str, object]]:
    """Points gained and spent per month over the last year, for a server-drawn bar chart."""
    months = totals.monthly_totals(user_id)
    peak = max([max(month.gained, month.spent) for month in months] or [1]) or 1
    return [
        {
            "month": month.month,
            "gained": month.gained,
            "spent": month.spent,
            "gained_pct": month.gained * 100 // peak,
            "spent_pct": month.spent * 100 // peak,
        }
        for month in months
    ]


def status_of(user_id: int, among: list[tiers.Tier] | None = None) -> dict[str, object]:
    """The balance, tier, progress and points expiring soon; ``among`` is the tiers the page already read."""
    every_tier = among if among is not None else tiers.all_tiers()
    acct = db.session.get(ledger.Account, user_id) or ledger.Account(
        user_id=user_id, balance=0, tier="bronze"
    )
    earned = tiers.earned_last_year(user_id)
    expiring, expiring_on = ledger.expiring_soon(user_id)
    return {
        "balance": acct.balance,
        "tier": tiers.tier_by_code(acct.tier, every_tier),
        "earned": earned,
        "progress": tiers.progress(acct.tier, earned, every_tier),
        "expiring": expiring,
        "expiring_on": expiring_on,
    }


# ---- customer pages -------------------------------------------------------------------------------


@bp.route("/")
@customer
def overview() -> str:
    """Balance, tier with progress to the next, points expiring soon, and the history a page at a time."""
    history = history_page(current_user.id, request.args.get("before"))
    every_tier = tiers.all_tiers()
    status = status_of(current_user.id, every_tier)
    return render_template(
        "loyalty/overview.html",
        entries=history.items,
        next_before=history.next_cursor,
        chart=monthly_chart(current_user.id),
        tiers=every_tier,
        **status,
    )


def _card_context() -> dict[str, object]:
    """What a reward card needs besides the reward: the customer's balance, tier and a fresh form."""
    tier = rewards.account_tier(current_user.id)
    return {
        "balance": ledger.balance(current_user.id),
        "tier_rank": tiers.tier_rank(tier),
        "rank": tiers.tier_rank,
        "names": tiers.NAMES,
        "form": RedeemForm(request_key=new_key()),
    }


@bp.route("/rewards")
@customer
def catalogue() -> str:
    """The rewards one can redeem now, with a form for each, a page at a time (cheapest first)."""
    page = rewards.catalogue_page(request.args.get("after"), PAGE)
    return render_template(
        "loyalty/catalogue.html", rewards=page.items, next_after=page.next_cursor, **_card_context()
    )


@bp.route("/rewards/<int:reward_id>/image")
@customer
def reward_image(reward_id: int) -> Response:
    """A reward's picture for those who may see the reward: staff any, customers the catalogue's."""
    reward = rewards.image_visible_to(reward_id, current_user) or abort(404)
    return images.response(reward.image_key or abort(404), localized(reward, "title"))


def _offered_reward(reward_id: int) -> Reward:
    """A reward of the catalogue, for a customer only: staff neither redeem nor get asked to."""
    if current_user.role != "customer":
        abort(404)
    return db.session.scalar(rewards.available_rewards_query().where(Reward.id == reward_id)) or abort(404)


@bp.route("/rewards/<int:reward_id>/redeem", methods=["GET"])
@customer
def confirm_redeem(reward_id: int) -> str:
    """Ask before spending: the cost, the balance after and what happens next; htmx gets the card alone.

    Points cannot be taken back by the customer, so the catalogue's button leads here, not to the POST.
    """
    reward = _offered_reward(reward_id)
    template = "loyalty/_reward_card.html" if is_htmx_request() else "loyalty/confirm.html"
    return render_template(template, r=reward, confirming=True, **_card_context())


@bp.route("/rewards/<int:reward_id>")
@customer
def reward_card(reward_id: int) -> str | Response:
    """The card as the catalogue shows it, for htmx's "Keep my points"; without htmx, the catalogue."""
    reward = _offered_reward(reward_id)
    if not is_htmx_request():
        return redirect(url_for("loyalty.catalogue", _anchor=f"reward-{reward.id}"), 303)
    return render_template("loyalty/_reward_card.html", r=reward, **_card_context())


@bp.route("/rewards/<int:reward_id>/redeem", methods=["POST"])
@customer
def redeem(reward_id: int) -> Response | tuple[str, int]:
    """Spend points on a reward. With htmx the card shows the voucher in place; without, the vouchers page."""
    form = RedeemForm()
    if not form.validate_on_submit():
        return _redeem_refused(reward_id, _("The form expired. Please try again."))
    if current_user.role != "customer":
        abort(404)
    try:
        redemption = rewards.redeem(current_user.id, reward_id, form.request_key.data)
    except LedgerError as error:
        db.session.rollback()
        return _redeem_refused(reward_id, str(error))
    db.session.commit()
    message = _("Redeemed. Your voucher code is %(code)s.", code=redemption.voucher_code)
    if is_htmx_request():
        return _reward_card(reward_id, voucher=redemption.voucher_code, notice=message), 200
    flash(message, "success")
    return redirect(url_for("loyalty.vouchers"), 303)


def _redeem_refused(reward_id: int, problem: str) -> Response | tuple[str, int]:
    """The reason on the card for htmx (nothing was spent), a flash on the catalogue without it."""
    if is_htmx_request():
        return _reward_card(reward_id, problem=problem), 422
    flash(problem, "error")
    return redirect(url_for("loyalty.catalogue"), 303)


def _reward_card(reward_id: int, **outcome: str) -> str:
    """One catalogue card, with the result of redeeming it, and the balance line updated out of band."""
    reward = db.session.get(Reward, reward_id) or abort(404)
    return render_template("loyalty/_redeemed.html", r=reward, **outcome, **_card_context())


@bp.route("/vouchers")
@customer
def vouchers() -> str:
    """The customer's own vouchers, newest first, a page at a time."""
    query = select(Redemption, Reward).join(Reward).where(Redemption.user_id == current_user.id)
    page = keyset_page(
        query,
        [Redemption.id],
        cursor=request.args.get("before"),
        size=PAGE,
        descending=True,
        scalars=False,
    )
    return render_template("loyalty/vouchers.html", rows=page.items, next_before=page.next_cursor)


@bp.route("/widget")
@customer
def widget() -> str:
    """The dashboard tile: balance and tier."""
    acct_balance = ledger.balance(current_user.id)
    tier = tiers.tier_by_code(rewards.account_tier(current_user.id))
    return render_widget("loyalty/widget.html", title=_("Loyalty points"), balance=acct_balance, tier=tier)


# ---- staff pages ----------------------------------------------------------------------------------


def _customer_or_404(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or person.role != "customer":
        abort(404)
    return person


def _back(user_id: int, target: str | None = None):
    path = local_path(target)
    if path:
        return redirect(path, 303)
    return redirect(url_for("staff_customers.show", user_id=user_id), 303)


@staff_bp.route("/")
@agent
def report() -> str:
    """What the programme has issued, what customers redeemed or lost, and the points outstanding."""
    totals = dict(
        db.session.execute(select(Entry.kind, func.coalesce(func.sum(Entry.points), 0)).group_by(Entry.kind))
        .tuples()
        .all()
    )
    issued = sum(int(v) for k, v in totals.items() if int(v) > 0 and k != "reversed")
    outstanding = int(db.session.scalar(select(func.coalesce(func.sum(ledger.Account.balance), 0))) or 0)
    per_tier = (
        db.session.execute(select(ledger.Account.tier, func.count()).group_by(ledger.Account.tier))
        .tuples()
        .all()
    )
    page = rewards.staff_page(request.args.get("before"), PAGE)
    return render_template(
        "loyalty/staff_report.html",
        totals={k: int(v) for k, v in totals.items()},
        issued=issued,
        outstanding=outstanding,
        per_tier=dict(per_tier),
        names=tiers.NAMES,
        rewards=page.items,
        next_before=page.next_cursor,
    )


@staff_bp.route("/rewards/new", methods=["GET", "POST"])
@admin
def reward_new() -> str | Response:
    """An administrator adds a reward to the catalogue."""
    return _reward_form(Reward(stock=0, per_customer_limit=0, min_tier="bronze", active=True), created=True)


@staff_bp.route("/rewards/<int:reward_id>", methods=["GET", "POST"])
@admin
def reward_edit(reward_id: int) -> str | Response:
    """An administrator changes a reward, its image included."""
    reward = db.session.get(Reward, reward_id) or abort(404)
    return _reward_form(reward, created=False)


def _reward_form(reward: Reward, created: bool) -> str | Response:
    editing = request.method != "POST"
    form = reward_form()(
        obj=_as_form_data(reward) if editing else None,
        data=translation_data(reward, REWARD_TEXTS) if editing else None,
    )
    if form.validate_on_submit():
        try:
            _save_reward(reward, form)
        except images.ImageRefusedError as error:
            form.image.errors = [str(error)]
        else:
            flash(_("The reward is saved."), "success")
            return redirect(url_for("loyalty_staff.report"), 303)
    if request.method == "POST":
        _explain_refusal(form)
    return render_template("loyalty/reward_form.html", form=form, created=created, reward=reward)


def _explain_refusal(form: RewardForm) -> None:
    """Say that nothing was kept, and that a browser cannot send a chosen image a second time."""
    flash(_("The reward is not saved. Fix the fields marked below."), "error")
    if images.chosen(form.image.data) and not form.image.errors:
        form.image.errors = [_("The image is fine but was not kept: choose it again before saving.")]


def _save_reward(reward: Reward, form: RewardForm) -> None:
    """Keep a new image first, then the row; the old image goes only once nothing points to it."""
    upload = images.chosen(form.image.data)
    added = images.store(upload) if upload else None
    if added:
        discard_unless_committed(added)
    _copy_fields(reward, form)
    if added or form.remove_image.data:
        if reward.image_key:
            delete_after_commit(reward.image_key)
        reward.image_key = added
    db.session.add(reward)
    db.session.commit()


def _copy_fields(reward: Reward, form: RewardForm) -> None:
    reward.title = form.title.data.strip()
    reward.description = (form.description.data or "").strip()
    reward.cost = form.cost.data
    reward.stock = form.stock.data
    reward.per_customer_limit = form.per_customer_limit.data
    reward.starts_at = datetime.combine(form.starts_at.data, time()) if form.starts_at.data else None
    reward.ends_at = datetime.combine(form.ends_at.data, time()) if form.ends_at.data else None
    reward.min_tier = form.min_tier.data
    reward.active = form.active.data
    store_translations(form, reward)


def _as_form_data(reward: Reward) -> object:
    data = SimpleNamespace(
        **{
            name: getattr(reward, name)
            for name in ("title", "description", "cost", "stock", "per_customer_limit", "min_tier", "active")
        }
    )
    data.starts_at = reward.starts_at.date() if reward.starts_at else None
    data.ends_at = reward.ends_at.date() if reward.ends_at else None
    return data


@staff_bp.route("/customers/<int:user_id>/goodwill", methods=["POST"])
@agent
def goodwill(user_id: int):
    """Goodwill points with a reason, from the 360° page or a ticket; within the role's per-grant limit.

    An agent's goodwill above their limit is sent to an administrator for approval instead.
    """
    person = _customer_or_404(user_id)
    form = GoodwillForm()
    if not form.validate_on_submit():
        flash(_("Give the points and a reason (at most 300 characters)."), "error")
        return _back(person.id, form.next.data)
    try:
        message = goodwill_approvals.give_goodwill(
            person.id, form.points.data, form.reason.data, current_user, form.request_key.data
        )
    except LedgerError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(person.id, form.next.data)
    db.session.commit()
    flash(message, "success")
    return _back(person.id, form.next.data)


@staff_bp.route("/customers/<int:user_id>/purchase", methods=["POST"])
@agent
def purchase(user_id: int):
    """Record a purchase: points per currency unit × the customer's tier multiplier."""
    person = _customer_or_404(user_id)
    form = PurchaseForm()
    if not form.validate_on_submit():
        flash(_("Give the amount of the purchase."), "error")
        return _back(person.id)
    reference = (form.reference.data or "").strip()
    source = f"purchase:{reference}" if reference else f"purchase-key:{form.request_key.data}"
    try:
        amount = ledger.parse_amount(form.amount.data)
        entry = awards.record_purchase(person.id, amount, reference, current_user, source)
    except LedgerError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(person.id)
    db.session.commit()
    if entry is None:
        flash(_("This purchase was already recorded."), "error")
    else:
        flash(_("Purchase recorded: %(points)d points.", points=entry.points), "success")
    return _back(person.id)


@staff_bp.route("/redemptions/<int:redemption_id>/cancel", methods=["POST"])
@agent
def cancel_redemption(redemption_id: int):
    """Cancel a voucher: the points go back to the customer as a reversal."""
    redemption = db.session.get(Redemption, redemption_id) or abort(404)
    if not CancelForm().validate_on_submit():
        abort(400)
    if rewards.cancel(redemption, current_user.id):
        record_audit_event(
            "loyalty.redemption_cancelled",
            current_user.id,
            user_id=redemption.user_id,
            redemption_id=redemption.id,
        )
        db.session.commit()
        flash(_("The redemption is cancelled and its points given back."), "success")
    else:
        flash(_("This redemption was already cancelled."), "error")
    return _back(redemption.user_id)


@staff_bp.route("/customers/<int:user_id>/adjust", methods=["POST"])
@admin
def adjust(user_id: int):
    """An administrator corrects a balance up or down, with a reason; never below zero, up within the cap."""
    person = _customer_or_404(user_id)
    form = AdjustForm()
    if not form.validate_on_submit():
        flash(_("Give the points and a reason (at most 300 characters)."), "error")
        return _back(person.id)
    raw = form.points.data.strip()
    taking = raw.startswith("-")
    source = f"adjust:{form.request_key.data}"
    try:
        points = ledger.parse_points(raw[1:] if taking else raw)
        reason = form.reason.data.strip()
        if taking:
            entry = ledger.debit(
                person.id, points, "adjusted", reason=reason, actor_id=current_user.id, source=source
            )
        else:
            entry = grants.staff_credit(person.id, points, "adjusted", reason, current_user, source)
    except LedgerError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(person.id)
    if entry is not None:
        record_audit_event(
            "loyalty.balance_adjusted",
            current_user.id,
            user_id=person.id,
            points=entry.points,
            reason=entry.reason,
        )
    db.session.commit()
    if entry is not None:
        flash(_("The balance is adjusted by %(points)+d points.", points=entry.points), "success")
    return _back(person.id)
