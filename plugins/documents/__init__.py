"""The documents plugin: customers' invoices, contracts, manuals and statements, and personalised PDFs.

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

from . import api, contributions, customer_data, events, publishing, seed, staff_figures  # noqa: F401  (publishing declares the notify task)
from .models import MIGRATIONS_FOLDER
from .settings import plugin_settings
from .views import bp, staff_bp

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Blueprint

    from portal.plugin import (
        DomainEvent,
        Figure,
        NavItem,
        NotificationType,
        Panel,
        SeedRun,
        Setting,
        User,
        Widget,
    )


@hookimpl
def portal_plugin_info() -> PluginInfo:
    """Customers' files and personalised PDFs: what an administrator reads on the plugins page."""
    return PluginInfo(
        display_name=_l("Documents"),
        description=_l(
            "Invoices, contracts and statements to download, and personalised PDFs made from templates."
        ),
    )


@hookimpl
def portal_api_blueprints() -> list[Any]:
    """Documents, their versions and downloads under /api/v1/documents."""
    return [api.api]


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """The customer pages at /documents and the staff pages at /staff/documents."""
    return [bp, staff_bp]


@hookimpl
def portal_migrations_folder() -> Path:
    """The Alembic branch "documents"."""
    return MIGRATIONS_FOLDER


@hookimpl
def portal_nav_items(user: User | None) -> list[NavItem]:
    """ "Documents" for anyone signed in."""
    return contributions.customer_links(user)


@hookimpl
def portal_staff_nav_items(user: User) -> list[NavItem]:
    """Documents for staff; templates for administrators."""
    return contributions.staff_links(user)


@hookimpl
def portal_page_assets(endpoint: str) -> PageAssets | None:
    """The stylesheet on the plugin's pages, the dashboard (its widget) and the 360° page (its panel)."""
    return plugin_stylesheet(
        endpoint, plugin="documents", filename="documents.css", also_on=(DASHBOARD_PAGE, CUSTOMER_360_PAGE)
    )


@hookimpl
def portal_dashboard_widgets() -> list[Widget]:
    """New documents the customer has not opened yet."""
    return contributions.dashboard_widgets()


@hookimpl
def portal_notification_types() -> list[NotificationType]:
    """A document published for the customer."""
    return contributions.notification_types()


@hookimpl
def portal_customer_panels(customer: User) -> list[Panel]:
    """The customer's downloads on their 360° page."""
    return customer_data.customer_panels(customer)


@hookimpl
def portal_staff_figures() -> list[Figure]:
    """Downloads per day over the last 14 days and the documents published this month."""
    return staff_figures.staff_figures()


@hookimpl
def portal_plugin_settings() -> list[Setting]:
    """Categories, the upload limit, how long email links last, how long a document counts as new."""
    return plugin_settings()


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """Documents published to their audience, and downloaded by customers."""
    return events.EVENT_TYPES


@hookimpl
def portal_export_customer_data(user: User) -> dict[str, Any] | None:
    """What the customer downloaded, and the documents addressed to them alone."""
    return customer_data.export(user)


@hookimpl
def portal_erase_customer_data(user: User) -> None:
    """Their download log and the documents addressed to them alone go with the account."""
    customer_data.erase(user)


@hookimpl
def portal_load_demo_data(customers: list[User]) -> None:
    """One document of every category for each demo customer, and one template, added once."""
    customer_data.add_demo(customers)


@hookimpl
def portal_seed(run: SeedRun) -> None:
    """Documents published to customers, for a benchmark database (``portal seed``)."""
    seed.seed_documents(run)
