"""The help center plugin: articles customers read before they need to ask, and that answer tickets.

This file holds hookimpls only; each hands the work to one of the plugin's modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from portal.plugin import PageAssets, PluginInfo, hookimpl

from . import (
    assets,
    contributions,
    customer_data,
    customer_views,  # noqa: F401  (adds the public pages to the blueprint)
    deflection,
    deflection_views,  # noqa: F401  (adds the suggestions and the agents' tools)
    events,
    slots,
    staff_category_views,  # noqa: F401  (adds the categories' staff pages)
    staff_figures,
    staff_views,  # noqa: F401  (adds the staff pages)
    widget_views,  # noqa: F401  (adds the dashboard tile's endpoint)
)
from .blueprint import bp, staff_bp
from .models import MIGRATIONS_FOLDER
from .settings import plugin_settings

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Blueprint
    from markupsafe import Markup

    from portal.plugin import DomainEvent, Event, Figure, NavItem, Panel, Setting, User, Widget


@hookimpl
def portal_plugin_info() -> PluginInfo:
    """Answers customers read on their own: what an administrator reads on the plugins page."""
    return PluginInfo(
        display_name=_l("Help center"),
        description=_l("Articles that answer common questions, suggested while a customer writes a ticket."),
    )


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """The public pages at /help and the staff pages at /staff/help."""
    return [bp, staff_bp]


@hookimpl
def portal_migrations_folder() -> Path:
    """The Alembic branch "helpcenter"."""
    return MIGRATIONS_FOLDER


@hookimpl
def portal_nav_items(user: User | None) -> list[NavItem]:
    """ "Help" for whoever may read the help center."""
    return contributions.customer_links(user)


@hookimpl
def portal_staff_nav_items(user: User) -> list[NavItem]:
    """The articles, for agents and administrators."""
    return contributions.staff_links(user)


@hookimpl
def portal_page_assets(endpoint: str) -> PageAssets | None:
    """The stylesheet on the plugin's pages and where it adds to others; the agents' script on tickets."""
    return assets.page_assets(endpoint)


@hookimpl
def portal_template_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """Suggestions on the new-ticket form, and article tools beside an agent's reply."""
    return slots.template_slot(slot, context)


@hookimpl
def portal_dashboard_widgets(user: User) -> list[Widget]:
    """The articles customers read most."""
    return contributions.dashboard_widgets(user)


@hookimpl
def portal_customer_panels(customer: User) -> list[Panel]:
    """What the customer read, and what they said about it, on their 360° page."""
    return customer_data.customer_panels(customer)


@hookimpl
def portal_staff_figures() -> list[Figure]:
    """Questions answered without a ticket, and the articles that failed to help."""
    return staff_figures.staff_figures()


@hookimpl
def portal_plugin_settings() -> list[Setting]:
    """Whether visitors may read, whether the ticket form suggests articles, the deflection window."""
    return plugin_settings()


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """Articles published, and readers saying whether one helped."""
    return events.EVENT_TYPES


@hookimpl
def portal_handle_event(event: Event) -> None:
    """A ticket opened after reading an article from the ticket form: that article did not deflect it."""
    deflection.handle_event(event)


@hookimpl
def portal_export_customer_data(user: User) -> dict[str, Any] | None:
    """The articles the customer read and what they said about them."""
    return customer_data.export(user)


@hookimpl
def portal_erase_customer_data(user: User) -> None:
    """Their readings and feedback go with the account; the articles' counts stay."""
    customer_data.erase(user)


@hookimpl
def portal_load_demo_data(customers: list[User]) -> None:
    """Categories and articles in English and Persian, added once."""
    customer_data.add_demo(customers)
