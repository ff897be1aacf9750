"""The loyalty plugin: points customers can trust, tiers they climb, rewards they redeem.

This file holds hookimpls only; each hands the work to one of the plugin's modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from portal.plugin import (
    CUSTOMER_360_PAGE,
    DASHBOARD_PAGE,
    PageAssets,
    PluginInfo,
    hookimpl,
    plugin_stylesheet,
)

from . import (  # apology_views: imported for the route it adds
    api,
    apology_views,  # noqa: F401
    awards,
    contributions,
    events,
    goodwill_approvals,
    seed,
    staff_figures,
    transfers,
)
from .cli import loyalty_group
from .models import MIGRATIONS_FOLDER
from .rule_views import rules_bp
from .settings import plugin_settings
from .views import bp, staff_bp

if TYPE_CHECKING:
    from pathlib import Path

    import click
    from flask import Blueprint
    from markupsafe import Markup

    from portal.plugin import (
        ApprovalKind,
        DomainEvent,
        Event,
        ExportKind,
        Figure,
        ImportKind,
        NavItem,
        NotificationType,
        Panel,
        ScheduledTask,
        SeedRun,
        Segment,
        Setting,
        User,
        Widget,
    )


@hookimpl
def portal_plugin_info() -> PluginInfo:
    """Points, tiers and rewards: what an administrator reads on the plugins page."""
    return PluginInfo(
        display_name=_l("Loyalty points"),
        description=_l(
            "Customers earn points, climb tiers and redeem rewards; every point is kept in a ledger."
        ),
    )


@hookimpl
def portal_api_blueprints() -> list[Any]:
    """Balances, history, rewards, redemptions and purchases under /api/v1/loyalty."""
    return [api.api]


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """Customer pages at /loyalty, staff pages at /staff/loyalty, earning rules below them."""
    return [bp, staff_bp, rules_bp]


@hookimpl
def portal_migrations_folder() -> Path:
    """The "loyalty" Alembic branch: ledger, balances, rewards, redemptions."""
    return MIGRATIONS_FOLDER


@hookimpl
def portal_cli_commands() -> list[click.Command]:
    """``portal loyalty reconcile | expire``."""
    return [loyalty_group]


@hookimpl
def portal_nav_items(user: User | None) -> list[NavItem]:
    """A "Loyalty" link for customers."""
    return contributions.customer_links(user)


@hookimpl
def portal_staff_nav_items(user: User) -> list[NavItem]:
    """The loyalty report and rewards catalogue for staff; the earning rules for administrators."""
    return contributions.staff_links(user)


@hookimpl
def portal_dashboard_widgets(user: User | None) -> list[Widget]:
    """A tile with the customer's balance and tier."""
    return contributions.dashboard_widgets(user)


@hookimpl
def portal_page_assets(endpoint: str) -> PageAssets | None:
    """The stylesheet on the plugin's pages, its widget's and panel's, and the staff ticket page."""
    return plugin_stylesheet(
        endpoint,
        plugin="loyalty",
        filename="loyalty.css",
        also_on=(DASHBOARD_PAGE, CUSTOMER_360_PAGE, "tickets_staff.staff_show"),
    )


@hookimpl
def portal_template_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """The goodwill form in ``tickets.staff_actions``; the goodwill step of ``tickets.apology``."""
    return contributions.render_slot(slot, context)


@hookimpl
def portal_customer_fields(customer: User) -> dict[str, str]:
    """``loyalty.tier`` and ``loyalty.points`` for document templates."""
    return contributions.customer_fields(customer)


@hookimpl
def portal_export_customer_data(user: User) -> dict[str, Any] | None:
    """The customer's ledger and vouchers."""
    return contributions.export_data(user)


@hookimpl
def portal_erase_customer_data(user: User) -> None:
    """Ledger, balance and vouchers go with the account."""
    contributions.erase_data(user)


@hookimpl
def portal_load_demo_data(customers: list[User]) -> None:
    """A small catalogue and demo customers in every tier."""
    contributions.load_demo_data(customers)


@hookimpl
def portal_seed(run: SeedRun) -> None:
    """Ledger entries with balances and daily totals that reconcile (``portal seed``)."""
    seed.seed_ledger(run)


@hookimpl
def portal_notification_types() -> list[NotificationType]:
    """Tier changes and expiry reminders."""
    return contributions.notification_types()


@hookimpl
def portal_customer_panels(customer: User, viewer: User) -> list[Panel]:
    """Balance, tier, goodwill and purchase forms, and recent vouchers on the 360° page."""
    return contributions.customer_panels(customer, viewer)


@hookimpl
def portal_plugin_settings() -> list[Setting]:
    """Points per currency unit, grant limits, expiry, tier thresholds and benefits."""
    return plugin_settings()


@hookimpl
def portal_staff_figures() -> list[Figure]:
    """Points issued and redeemed per week, and the members active in the last 90 days."""
    return staff_figures.staff_figures()


@hookimpl
def portal_segments() -> list[Segment]:
    """One segment per tier: ``loyalty.tier:<code>``."""
    return contributions.segments()


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """Points earned and expired, rewards redeemed and cancelled, tier changes."""
    return events.EVENT_TYPES


@hookimpl
def portal_handle_event(event: Event) -> None:
    """Points for any declared event an earning rule pays for, once per fact and within the rule's cap."""
    awards.handle_event(event)


@hookimpl
def portal_approval_kinds() -> list[ApprovalKind]:
    """``loyalty.goodwill``: an agent's goodwill above their limit, credited once approved."""
    return [goodwill_approvals.goodwill_kind()]


@hookimpl
def portal_import_kinds() -> list[ImportKind]:
    """``loyalty.purchases``: purchases from a CSV, credited as the staff form credits them."""
    return [transfers.PURCHASES_IMPORT]


@hookimpl
def portal_export_kinds() -> list[ExportKind]:
    """``loyalty.purchases``: every purchase with its amount, points and receipt."""
    return [transfers.PURCHASES_EXPORT]


@hookimpl
def portal_scheduled_tasks() -> list[ScheduledTask]:
    """Hourly expiry, expiry reminders every six hours and the daily tier refresh."""
    return contributions.scheduled_tasks()
