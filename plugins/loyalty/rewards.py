"""Redeeming rewards for voucher codes, and cancelling a redemption (which gives the points back)."""

from __future__ import annotations

import secrets

from sqlalchemy import func, or_, select, update

from portal.plugin import Page, User, db, emit, keyset_page, rows_matched, utcnow
from portal.plugin import gettext_or_source as _

from . import ledger, tiers
from .events import RedemptionCancelled, RewardRedeemed
from .ledger import LedgerError
from .models import Account, Redemption, Reward

VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_voucher_code() -> str:
    return "-".join("".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(4)) for _ in range(3))


def available_rewards_query(user_tier: str | None = None):
    """Active rewards within their dates; the catalogue shows those above one's tier as locked."""
    now = utcnow()
    return (
        select(Reward)
        .where(
            Reward.active.is_(True),
            or_(Reward.starts_at.is_(None), Reward.starts_at <= now),
            or_(Reward.ends_at.is_(None), Reward.ends_at > now),
        )
        .order_by(Reward.cost, Reward.id)
    )


def catalogue_page(after: str | None, size: int) -> Page:
    """A page of the catalogue, cheapest first, by keyset on (cost, id); the cursor reads "cost_id"."""
    return keyset_page(available_rewards_query(), [Reward.cost, Reward.id], cursor=after, size=size)


def staff_page(before: str | None, size: int) -> Page:
    """A page of every reward, newest first, by keyset on the primary key."""
    return keyset_page(select(Reward), [Reward.id], cursor=before, size=size, descending=True)


def image_visible_to(reward_id: int, user: User) -> Reward | None:
    """The reward whose image this person may see: staff any, a customer only one in the catalogue."""
    query = select(Reward) if user.is_staff else available_rewards_query()
    return db.session.scalar(query.where(Reward.id == reward_id, Reward.image_key.is_not(None)))


def redeem(user_id: int, reward_id: int, request_key: str) -> Redemption:
    """Redeem one reward: points, stock and the per-customer limit all checked under lock.

    A repeated request key returns the redemption it already made.
    """
    source = f"redeem:{user_id}:{request_key}"[:120]
    reward = db.session.scalar(available_rewards_query().where(Reward.id == reward_id))
    if reward is None:
        raise LedgerError(_("This reward is not available."))
    already = db.session.scalar(
        select(Redemption)
        .join(ledger.Entry, ledger.Entry.source == source)
        .where(Redemption.user_id == user_id, Redemption.voucher_code == ledger.Entry.reason)
    )
    if already is not None:
        return already
    acct = ledger.account(user_id)
    if tiers.tier_rank(acct.tier) < tiers.tier_rank(reward.min_tier):
        raise LedgerError(_("This reward needs the %(tier)s tier.", tier=tiers.NAMES[reward.min_tier]))
    code = new_voucher_code()
    with db.session.begin_nested():  # any refusal below undoes the debit too
        entry = ledger.debit(user_id, reward.cost, "redeemed", reason=code, actor_id=user_id, source=source)
        if entry is None:  # the same request, finished by a concurrent transaction
            raise LedgerError(_("This request was already handled."))
        # The account row is now locked by this transaction: the limit count below cannot race.
        if reward.per_customer_limit:
            count = db.session.scalar(
                select(func.count())
                .select_from(Redemption)
                .where(
                    Redemption.user_id == user_id,
                    Redemption.reward_id == reward.id,
                    Redemption.status == "active",
                )
            )
            if count >= reward.per_customer_limit:
                raise LedgerError(_("You have already redeemed this reward as often as allowed."))
        taken = rows_matched(
            update(Reward)
            .where(Reward.id == reward.id, Reward.stock > 0)
            .values(stock=Reward.stock - 1)
            .execution_options(synchronize_session=False)
        )
        if taken != 1:
            raise LedgerError(_("Sorry, this reward is out of stock."))
        redemption = Redemption(user_id=user_id, reward_id=reward.id, points=reward.cost, voucher_code=code)
        db.session.add(redemption)
        db.session.flush()
    emit(
        RewardRedeemed(user_id=user_id, reward_id=reward.id, redemption_id=redemption.id, points=reward.cost),
        customer_id=user_id,
        actor_id=user_id,
    )
    return redemption


def cancel(redemption: Redemption, actor_id: int) -> bool:
    """Cancel an active redemption: points back as a ``reversed`` entry, stock back by one."""
    changed = rows_matched(
        update(Redemption)
        .where(Redemption.id == redemption.id, Redemption.status == "active")
        .values(status="cancelled", cancelled_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed != 1:
        return False
    ledger.credit(
        redemption.user_id,
        redemption.points,
        "reversed",
        reason=f"Cancelled voucher {redemption.voucher_code}",
        actor_id=actor_id,
        source=f"cancel:{redemption.id}",
    )
    db.session.execute(update(Reward).where(Reward.id == redemption.reward_id).values(stock=Reward.stock + 1))
    cancelled = RedemptionCancelled(
        user_id=redemption.user_id, redemption_id=redemption.id, points=redemption.points
    )
    emit(cancelled, customer_id=redemption.user_id, actor_id=actor_id)
    db.session.expire_all()
    return True


def account_tier(user_id: int) -> str:
    return db.session.scalar(select(Account.tier).where(Account.user_id == user_id)) or "bronze"
