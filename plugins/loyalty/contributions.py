"""What loyalty adds to the core: links, a tile, a panel, the ticket slot, segments, scheduled work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from portal.plugin import (
    NavItem,
    NotificationType,
    Panel,
    ScheduledTask,
    Segment,
    User,
    Widget,
    db,
    format_number,
    set_translations,
)

from . import apology_goodwill, grants, ledger, tiers
from .forms import AdjustForm, CancelForm, GoodwillForm, PurchaseForm
from .models import Account, Entry, Redemption, Reward
from .reasons import reason_label
from .views import new_key


def customer_links(user: User | None) -> list[NavItem]:
    if user is None or user.role != "customer":
        return []
    return [NavItem(label=_l("Loyalty"), endpoint="loyalty.overview", order=40, icon="gift")]


def staff_links(user: User) -> list[NavItem]:
    """The report for all staff; the earning rules only for administrators, who alone may open them."""
    links = [NavItem(label=_l("Loyalty"), endpoint="loyalty_staff.report", order=40)]
    if user.is_admin:
        links.append(NavItem(label=_l("Earning rules"), endpoint="loyalty_rules.index", order=41))
    return links


def dashboard_widgets(user: User | None) -> list[Widget]:
    if user is None or user.role != "customer":
        return []
    return [Widget(name="loyalty.points", title=_l("Loyalty points"), endpoint="loyalty.widget", order=40)]


def notification_types() -> list[NotificationType]:
    return [
        NotificationType(
            kind="loyalty.tier",
            label=_l("Loyalty tier changes"),
            description=_l("When you move up or down a loyalty tier."),
        ),
        NotificationType(
            kind="loyalty.expiry",
            label=_l("Points about to expire"),
            description=_l("A reminder before your loyalty points expire."),
        ),
    ]


def customer_panels(customer: User, viewer: User) -> list[Panel]:
    if customer.role != "customer":
        return []
    acct = db.session.get(Account, customer.id)
    goodwill = db.session.scalars(
        select(Entry)
        .where(Entry.user_id == customer.id, Entry.kind == "goodwill")
        .order_by(Entry.id.desc())
        .limit(5)
    ).all()
    redemptions = db.session.execute(
        select(Redemption, Reward.title)
        .join(Reward)
        .where(Redemption.user_id == customer.id)
        .order_by(Redemption.id.desc())
        .limit(5)
    ).all()
    return [
        Panel(
            name="loyalty.points",
            title=_l("Loyalty"),
            template="loyalty/customer_panel.html",
            context={
                "customer": customer,
                "balance": acct.balance if acct else 0,
                "tier": tiers.tier_by_code(acct.tier if acct else "bronze"),
                "redemptions": redemptions,
                "goodwill": goodwill,
                "goodwill_form": GoodwillForm(request_key=new_key(), formdata=None),
                "purchase_form": PurchaseForm(request_key=new_key(), formdata=None),
                # Only a voucher still active has a cancel button; no voucher, no form to build.
                "cancel_form": CancelForm(formdata=None) if redemptions else None,
                "adjust_form": AdjustForm(request_key=new_key(), formdata=None) if viewer.is_admin else None,
                "limit": grants.grant_limit(viewer.role),
            },
            order=40,
        )
    ]


def render_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """The goodwill form on the staff ticket page, and the goodwill step of a complaint's apology."""
    if slot == "tickets.apology":
        return apology_goodwill.render_step(context)
    if slot != "tickets.staff_actions":
        return None
    customer_id = context.get("customer_id")
    if not isinstance(customer_id, int):
        return None
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False) or current_user.role not in ("agent", "admin"):
        return None
    form = GoodwillForm(request_key=new_key(), next=request.path, formdata=None)
    return Markup(  # noqa: S704  (autoescaped template output)
        render_template(
            "loyalty/goodwill_form.html",
            goodwill_form=form,
            customer_id=customer_id,
            limit=grants.grant_limit(current_user.role),
        )
    )


def segments() -> list[Segment]:
    def members(code: str):
        return lambda: select(Account.user_id).where(Account.tier == code)

    return [
        Segment(
            key=f"loyalty.tier:{code}",
            label=_l("Tier: %(tier)s", tier=tiers.NAMES[code]),
            member_ids=members(code),
        )
        for code in tiers.CODES
    ]


def customer_fields(customer: User) -> dict[str, str]:
    acct = db.session.get(Account, customer.id)
    return {
        "tier": str(tiers.NAMES[acct.tier if acct else "bronze"]),
        "points": format_number(acct.balance if acct else 0),  # in the reader's digits, as on the page
    }


def export_data(user: User) -> dict[str, Any] | None:
    acct = db.session.get(Account, user.id)
    if acct is None:
        return None
    entries = db.session.scalars(select(Entry).where(Entry.user_id == user.id).order_by(Entry.id)).all()
    vouchers = db.session.scalars(select(Redemption).where(Redemption.user_id == user.id)).all()
    return {
        "balance": acct.balance,
        "tier": acct.tier,
        "entries": [
            {
                "kind": e.kind,
                "points": e.points,
                "reason": reason_label(e.reason),
                "created_at": e.created_at.isoformat(),
            }
            for e in entries
        ],
        "vouchers": [
            {
                "code": r.voucher_code,
                "points": r.points,
                "status": r.status,
                "created_at": r.created_at.isoformat(),
            }
            for r in vouchers
        ],
    }


def erase_data(user: User) -> None:
    from sqlalchemy import delete, update

    from .models import DailyTotal, GoodwillRequest, Purchase

    db.session.execute(update(Entry).where(Entry.actor_id == user.id).values(actor_id=None))
    db.session.execute(
        update(GoodwillRequest).where(GoodwillRequest.requested_by_id == user.id).values(requested_by_id=None)
    )
    db.session.execute(delete(GoodwillRequest).where(GoodwillRequest.user_id == user.id))
    db.session.execute(delete(Redemption).where(Redemption.user_id == user.id))
    db.session.execute(
        delete(Purchase).where(Purchase.entry_id.in_(select(Entry.id).where(Entry.user_id == user.id)))
    )
    db.session.execute(delete(Entry).where(Entry.user_id == user.id))
    # The triggers leave zeroed days behind, which would still tell on which days the customer was active.
    db.session.execute(delete(DailyTotal).where(DailyTotal.user_id == user.id))
    db.session.execute(delete(Account).where(Account.user_id == user.id))


# The demo catalogue in Persian, in the order of the rewards below.
DEMO_REWARDS_FA = [
    ("کوپن قهوه", "یک فنجان قهوه مهمان ما باشید."),
    ("۱۰٪ تخفیف", "برای سفارش بعدی شما."),
    ("کارت ورود به سالن طلایی", "ویژهٔ اعضای سطح طلایی."),
]


def load_demo_data(customers: list[User]) -> None:
    """Customers in every tier and a small catalogue, added once however often ``portal demo`` runs."""
    if db.session.scalar(select(Reward.id).limit(1)) is None:
        catalogue = [
            Reward(title="Coffee voucher", description="A coffee on us.", cost=100, stock=50),
            Reward(
                title="10% discount",
                description="On your next order.",
                cost=400,
                stock=100,
                per_customer_limit=1,
            ),
            Reward(
                title="Gold lounge pass",
                description="For our Gold members.",
                cost=1500,
                stock=10,
                min_tier="gold",
            ),
        ]
        for reward, (title, description) in zip(catalogue, DEMO_REWARDS_FA, strict=True):
            set_translations(reward, {"fa": {"title": title, "description": description}})
        db.session.add_all(catalogue)
    amounts = [tiers.tier_by_code(code).threshold + 100 for code in tiers.CODES]
    for index, person in enumerate(customers):
        points = amounts[index % len(amounts)]
        ledger.credit(person.id, points, "earned", reason="Welcome points", source=f"demo:{person.id}")


def scheduled_tasks() -> list[ScheduledTask]:
    """Points expire within the hour they fall due, reminders go out four times a day, tiers move daily."""
    return [
        ScheduledTask(name="loyalty.expire_points", every=timedelta(hours=1), function=ledger.expire_due),
        ScheduledTask(
            name="loyalty.expiry_reminders", every=timedelta(hours=6), function=ledger.remind_expiring
        ),
        ScheduledTask(
            name="loyalty.refresh_tiers", every=timedelta(days=1), function=ledger.refresh_all_tiers
        ),
    ]
