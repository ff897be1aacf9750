"""The ledger: every change of points is an entry; the cached balance moves in the same transaction.

Guarantees, on SQLite and PostgreSQL alike:
- a source (an event id, an import row, a request key) is unique, so the same thing never counts twice;
- a debit is one conditional ``UPDATE … SET balance = balance - n WHERE balance >= n``: PostgreSQL holds
  the account row's lock until commit and re-checks the condition for a waiting writer, SQLite runs one
  writer at a time, so concurrent debits can never take the balance below zero (a CHECK backs this up);
- credits are lots with ``remaining`` points; debits and expiry consume the oldest lots first.
"""

from __future__ import annotations

from calendar import monthrange
from contextlib import suppress
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.plugin import (
    NotificationError,
    User,
    db,
    emit,
    format_date,
    get_setting,
    notify,
    rows_matched,
    utcnow,
)
from portal.plugin import gettext_or_source as _

from . import tiers
from .events import PointsDeducted, PointsEarned, PointsExpired, TierChanged
from .models import REASON_MAX, SOURCE_MAX, Account, Entry
from .settings import MAX_POINTS

CREDIT_KINDS = ("earned", "adjusted", "goodwill", "reversed")
DEBIT_KINDS = ("redeemed", "expired", "adjusted")


def _notify(user: User, kind: str, **fields: Any) -> None:
    """notify(), also from ticks and event handlers; the ledger change stands if the kind is off."""
    with suppress(NotificationError):
        notify(user, kind, **fields)


class LedgerError(ValueError):
    """A change of points that must not happen; the message is for the person who asked."""


class InsufficientPointsError(LedgerError):
    """The balance does not cover the debit."""


def parse_points(value: object) -> int:
    """A whole number of points between 1 and the maximum, or a LedgerError saying what is wrong."""
    if isinstance(value, bool):
        raise LedgerError(_("Points must be a whole number."))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise LedgerError(_("Points must be a whole number.")) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise LedgerError(_("Points must be a whole number."))
    if number <= 0:
        raise LedgerError(_("Points must be more than zero."))
    if number > MAX_POINTS:
        raise LedgerError(_("At most %(max)d points at a time.", max=MAX_POINTS))
    return int(number)


def parse_amount(value: object) -> Decimal:
    """A purchase amount: positive, at most two decimals, at most 10,000,000."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise LedgerError(_("The amount must be a number.")) from None
    if not amount.is_finite():
        raise LedgerError(_("The amount must be a number."))
    if amount <= 0:
        raise LedgerError(_("The amount must be more than zero."))
    if amount > 10_000_000:
        raise LedgerError(_("The amount is too large."))
    if amount != amount.quantize(Decimal("0.01")):
        raise LedgerError(_("The amount may have at most two decimals."))
    return amount


def balance(user_id: int) -> int:
    """The customer's balance: one primary-key lookup, however long the history."""
    return int(db.session.scalar(select(Account.balance).where(Account.user_id == user_id)) or 0)


def account(user_id: int) -> Account:
    """The customer's account row, made on first use (safely when two transactions race to make it)."""
    found = db.session.get(Account, user_id)
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            db.session.add(Account(user_id=user_id, balance=0, tier="bronze"))
    except IntegrityError:
        pass
    return db.session.get_one(Account, user_id)


def lock_account(user_id: int, now: datetime | None = None) -> None:
    """Hold the customer's account row until commit, as every debit does, before a check that must not race.

    PostgreSQL keeps the row lock of this UPDATE until the transaction ends and makes a second locker
    wait, then read what the first committed; SQLite has one writer at a time. Counting then crediting
    under it (an earning rule's cap) cannot let two transactions both see room for one more.
    """
    account(user_id)
    db.session.execute(
        update(Account)
        .where(Account.user_id == user_id)
        .values(updated_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def source_used(source: str) -> bool:
    return db.session.scalar(select(Entry.id).where(Entry.source == source)) is not None


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def _check(kind: str, allowed: tuple[str, ...], reason: str, source: str | None) -> None:
    if kind not in allowed:
        raise ValueError(f"unknown ledger kind {kind!r}")
    if len(reason) > REASON_MAX:
        raise LedgerError(_("The reason may be at most %(max)d characters.", max=REASON_MAX))
    if source is not None and len(source) > SOURCE_MAX:
        raise ValueError("source too long")


def credit(
    user_id: int,
    points: int,
    kind: str,
    reason: str = "",
    actor_id: int | None = None,
    source: str | None = None,
    now: datetime | None = None,
    rule_id: int | None = None,
    ticket_id: int | None = None,
) -> Entry | None:
    """Add points; ``None`` (and nothing changed) when this source was already credited.

    ``rule_id`` names the earning rule that paid, so the rule's cap can count its awards;
    ``ticket_id`` the ticket the points were given for (goodwill in a complaint's apology).
    """
    _check(kind, CREDIT_KINDS, reason, source)
    points = parse_points(points)
    now = now or utcnow()
    months = get_setting("loyalty", "expiry_months")
    account(user_id)
    if source is not None and source_used(source):
        return None
    entry = Entry(
        user_id=user_id,
        kind=kind,
        points=points,
        remaining=points,
        reason=reason,
        actor_id=actor_id,
        source=source,
        rule_id=rule_id,
        ticket_id=ticket_id,
        created_at=now,
        expires_at=_add_months(now, months) if months else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
            db.session.execute(
                update(Account)
                .where(Account.user_id == user_id)
                .values(balance=Account.balance + points, updated_at=now)
            )
    except IntegrityError:
        return None  # the same source, credited by a concurrent transaction
    emit(
        PointsEarned(user_id=user_id, points=points, kind=kind, entry_id=entry.id),
        customer_id=user_id,
        actor_id=actor_id,
    )
    refresh_tier(user_id, actor_id=actor_id)
    return entry


def debit(
    user_id: int,
    points: int,
    kind: str,
    reason: str = "",
    actor_id: int | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> Entry | None:
    """Take points, oldest lots first; InsufficientPointsError when the balance does not cover them."""
    _check(kind, DEBIT_KINDS, reason, source)
    points = parse_points(points)
    now = now or utcnow()
    account(user_id)
    # Inside a caller's savepoint, no read before the guarded UPDATE: on SQLite a read would pin a
    # snapshot that a concurrent writer makes stale; the unique source still refuses a repeat.
    if source is not None and not db.session().in_nested_transaction() and source_used(source):
        return None
    entry = Entry(
        user_id=user_id,
        kind=kind,
        points=-points,
        remaining=0,
        reason=reason,
        actor_id=actor_id,
        source=source,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            # The guard and the lock: a waiting writer re-checks the condition after the first commits.
            changed = rows_matched(
                update(Account)
                .where(Account.user_id == user_id, Account.balance >= points)
                .values(balance=Account.balance - points, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if changed != 1:
                raise InsufficientPointsError(_("You do not have enough points for this."))
            db.session.add(entry)
            db.session.flush()
            _consume_oldest(user_id, points)
    except IntegrityError:
        return None
    if kind != "redeemed":  # a redemption is announced by rewards.redeem, with its reward
        emit(
            PointsDeducted(user_id=user_id, points=points, kind=kind, entry_id=entry.id),
            customer_id=user_id,
            actor_id=actor_id,
        )
    db.session.expire_all()
    return entry


def _consume_oldest(user_id: int, points: int) -> None:
    """Take ``points`` from the credits with points left, soonest to expire (then oldest) first."""
    lots = db.session.scalars(
        select(Entry)
        .where(Entry.user_id == user_id, Entry.remaining > 0)
        .order_by(Entry.expires_at.is_(None), Entry.expires_at, Entry.id)
    )
    for lot in lots:
        if points <= 0:
            break
        take = min(lot.remaining, points)
        lot.remaining -= take
        points -= take
    if points > 0:
        raise LedgerError("ledger lots do not cover the balance")  # a broken invariant, never user input


def expire_due(now: datetime | None = None) -> int:
    """Expire every lot past its date, oldest first; returns how many points this run expired.

    Runs may overlap (two ticks, a tick and ``portal loyalty expire``) and race redemptions, so each
    lot's points are read under the account's lock and taken from that lot alone: a lot expires once,
    and never takes points that were not due.
    """
    now = now or utcnow()
    total = 0
    due = db.session.execute(
        select(Entry.id, Entry.user_id).where(Entry.remaining > 0, Entry.expires_at <= now).order_by(Entry.id)
    ).all()
    for lot_id, user_id in due:
        entry = _expire_lot(lot_id, user_id, now)
        if entry is None:
            continue
        points = -entry.points
        total += points
        emit(PointsExpired(user_id=user_id, points=points, entry_id=entry.id), customer_id=user_id)
    return total


def _expire_lot(lot_id: int, user_id: int, now: datetime) -> Entry | None:
    """Take what is left of one lot off the balance; ``None`` when nothing is left (another run got it)."""
    try:
        with db.session.begin_nested():
            # The account's lock first, as every debit takes it: no redemption consumes this lot meanwhile,
            # and an overlapping expiry run waits here, then finds the lot empty.
            db.session.execute(
                update(Account)
                .where(Account.user_id == user_id)
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            )
            points = db.session.scalar(select(Entry.remaining).where(Entry.id == lot_id)) or 0
            if points <= 0:
                return None
            db.session.execute(
                update(Entry)
                .where(Entry.id == lot_id)
                .values(remaining=0)
                .execution_options(synchronize_session=False)
            )
            db.session.execute(
                update(Account)
                .where(Account.user_id == user_id)
                .values(balance=Account.balance - points)
                .execution_options(synchronize_session=False)
            )
            entry = Entry(
                user_id=user_id,
                kind="expired",
                points=-points,
                remaining=0,
                reason=_l_str("Points expired"),
                source=f"expire:{lot_id}",
                created_at=now,
            )
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        return None  # this lot's expiry, written by a concurrent transaction
    db.session.expire_all()
    return entry


def _l_str(text: str) -> str:
    return text  # ledger reasons are stored in the language-neutral source text


def remind_expiring(now: datetime | None = None) -> int:
    """Tell each customer once about points that expire within the reminder window; returns how many."""
    now = now or utcnow()
    days = get_setting("loyalty", "expiry_reminder_days")
    if not days:
        return 0
    horizon = now + timedelta(days=days)
    rows = db.session.execute(
        select(Entry.user_id, func.sum(Entry.remaining), func.min(Entry.expires_at))
        .where(
            Entry.remaining > 0,
            Entry.expires_at <= horizon,
            Entry.expires_at > now,
            Entry.reminded.is_(False),
        )
        .group_by(Entry.user_id)
    ).all()
    reminded = 0
    for user_id, points, first in rows:
        # Claim the reminder before sending it: of two overlapping runs, one changes these rows.
        claimed = rows_matched(
            update(Entry)
            .where(
                Entry.user_id == user_id,
                Entry.remaining > 0,
                Entry.expires_at <= horizon,
                Entry.expires_at > now,
                Entry.reminded.is_(False),
            )
            .values(reminded=True)
            .execution_options(synchronize_session=False)
        )
        if not claimed:
            continue
        reminded += 1
        user = db.session.get(User, user_id)
        if user is not None:
            _notify(
                user,
                "loyalty.expiry",
                title=_l("%(points)d points expire soon", points=int(points)),
                body=_l(
                    "Points expire on %(date)s. Redeem them for a reward before then.",
                    date=format_date(first, user=user),
                ),
                url="/loyalty/",
            )
    return reminded


# Built once, as the loyalty page asks on every view (docs/performance.md).
_EXPIRING = select(func.coalesce(func.sum(Entry.remaining), 0), func.min(Entry.expires_at)).where(
    Entry.user_id == bindparam("user_id"), Entry.remaining > 0, Entry.expires_at <= bindparam("horizon")
)


def expiring_soon(user_id: int, now: datetime | None = None) -> tuple[int, datetime | None]:
    """Points expiring in the reminder window (or the next 90 days) and the first date."""
    now = now or utcnow()
    horizon = now + timedelta(days=max(get_setting("loyalty", "expiry_reminder_days"), 90))
    points, first = db.session.execute(_EXPIRING, {"user_id": user_id, "horizon": horizon}).one()
    return int(points or 0), first


def refresh_tier(user_id: int, actor_id: int | None = None) -> str:
    """Recompute the customer's tier and return it; a move is told to the customer once."""
    return _move_tier(user_id, actor_id)[0]


def _move_tier(user_id: int, actor_id: int | None = None) -> tuple[str, bool]:
    """The tier now, and whether this call moved it (then notify and emit ``loyalty.tier_changed``).

    The move is one UPDATE conditional on the tier just read, so of two overlapping refreshes (two
    credits at once, the daily pass beside a credit) only one tells the customer.
    """
    acct = account(user_id)
    new = tiers.tier_for_points(tiers.earned_last_year(user_id)).code
    old = db.session.execute(select(Account.tier).where(Account.user_id == user_id)).scalar_one()
    if new == old:
        return new, False
    moved = rows_matched(
        update(Account)
        .where(Account.user_id == user_id, Account.tier == old)
        .values(tier=new)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(acct, ["tier"])
    if moved != 1:
        return acct.tier, False
    raised = tiers.tier_rank(new) > tiers.tier_rank(old)
    emit(
        TierChanged(user_id=user_id, old_tier=old, new_tier=new, raised=raised),
        customer_id=user_id,
        actor_id=actor_id,
    )
    user = db.session.get(User, user_id)
    if user is not None and user.role == "customer":
        _notify(
            user,
            "loyalty.tier",
            title=_l("Your loyalty tier is now %(tier)s", tier=tiers.NAMES[new]),
            url="/loyalty/",
        )
    return new, True


def refresh_all_tiers() -> int:
    """The daily pass: tiers follow the rolling 12 months even without new points; returns how many moved."""
    user_ids = db.session.scalars(select(Account.user_id)).all()
    return sum(_move_tier(user_id)[1] for user_id in user_ids)


def reconcile() -> list[tuple[int, int, int]]:
    """Every account whose cached balance differs from the sum of its entries: (user, cached, summed)."""
    sums = select(Entry.user_id, func.sum(Entry.points).label("total")).group_by(Entry.user_id).subquery()
    rows = db.session.execute(
        select(Account.user_id, Account.balance, func.coalesce(sums.c.total, 0)).outerjoin(
            sums, sums.c.user_id == Account.user_id
        )
    ).all()
    bad = [(u, int(b), int(t)) for u, b, t in rows if int(b) != int(t)]
    orphans = db.session.execute(
        select(sums.c.user_id, sums.c.total).where(~sums.c.user_id.in_(select(Account.user_id)))
    ).all()
    bad += [(u, 0, int(t)) for u, t in orphans if int(t) != 0]
    return bad
