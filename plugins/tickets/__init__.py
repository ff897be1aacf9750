"""The tickets plugin: support requests and complaints customers can follow to the end.

Hookimpls only: every page, link, tile, panel, slot and task the plugin adds is listed here.
Template slots it renders on the staff ticket page (see docs/plugins/tickets.md):
``tickets.staff_actions`` and ``tickets.staff_details``, both with ``ticket_id`` and ``customer_id``;
``tickets.apology`` in the apology panel of a resolved complaint. It answers ``tickets.ticket_link``
(``ticket_id``) with a link to the ticket for whoever reads the page, so others link without importing it.
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

from . import api, contributions, events, mail_replies, reactions, seed, staff_figures
from .models import MIGRATIONS_FOLDER
from .settings import plugin_settings
from .views import bp, staff_bp

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Blueprint
    from markupsafe import Markup

    from portal.plugin import (
        DomainEvent,
        Event,
        Figure,
        MailHandler,
        NavItem,
        NotificationType,
        Panel,
        ScheduledTask,
        SeedRun,
        Setting,
        User,
        Widget,
    )


@hookimpl
def portal_api_blueprints() -> list[Any]:
    """Tickets, their messages and their files under /api/v1/tickets."""
    return [api.api]


@hookimpl
def portal_plugin_info() -> PluginInfo:
    """Support requests and complaints: what an administrator reads on the plugins page."""
    return PluginInfo(
        display_name=_l("Support tickets"),
        description=_l(
            "Customers ask for help and follow each request to its answer; staff work through the queue."
        ),
    )


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """Customer pages at /tickets, the staff queue and ticket pages at /staff/tickets."""
    return [bp, staff_bp]


@hookimpl
def portal_migrations_folder() -> Path:
    """The "tickets" Alembic branch."""
    return MIGRATIONS_FOLDER


@hookimpl
def portal_nav_items(user: User | None) -> list[NavItem]:
    """ "Support" for signed-in customers; staff reach tickets through the staff console's queue."""
    return contributions.customer_links(user)


@hookimpl
def portal_staff_nav_items() -> list[NavItem]:
    """The ticket queue."""
    return contributions.staff_links()


@hookimpl
def portal_dashboard_widgets(user: User | None) -> list[Widget]:
    """The customer's open tickets."""
    return contributions.dashboard_widgets(user)


@hookimpl
def portal_page_assets(endpoint: str) -> PageAssets | None:
    """The stylesheet on the plugin's pages and where its widget and panel appear."""
    return plugin_stylesheet(
        endpoint,
        plugin="tickets",
        filename="tickets.css",
        also_on=(DASHBOARD_PAGE, CUSTOMER_360_PAGE),
    )


@hookimpl
def portal_template_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """A link to open a ticket under customers' pages; a link to one ticket (``tickets.ticket_link``)."""
    return contributions.render_slot(slot, context)


@hookimpl
def portal_staff_figures() -> list[Figure]:
    """Open, unassigned and overdue tickets, new tickets per day, first response and rating."""
    return staff_figures.staff_figures()


@hookimpl
def portal_notification_types() -> list[NotificationType]:
    """Staff replies and status changes, told to the customer; staff alerts, told to agents."""
    return contributions.notification_types()


@hookimpl
def portal_customer_panels(customer: User) -> list[Panel]:
    """The customer's recent tickets on their 360° page."""
    return contributions.customer_panels(customer)


@hookimpl
def portal_plugin_settings() -> list[Setting]:
    """Categories, reopen and autoclose periods, response targets per priority."""
    return plugin_settings()


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """Tickets created, replied to, changing status, resolved, reopened, rated; apologies sent."""
    return events.EVENT_TYPES


@hookimpl
def portal_scheduled_tasks() -> list[ScheduledTask]:
    """Close resolved tickets after the set number of days; warn of response targets about to be missed;
    drop mail held unclaimed for 30 days."""
    return contributions.scheduled_tasks()


@hookimpl
def portal_export_customer_data(user: User) -> dict[str, Any] | None:
    """The customer's tickets and replies, never internal notes."""
    return contributions.export_customer_data(user)


@hookimpl
def portal_erase_customer_data(user: User) -> None:
    """Tickets go with the account."""
    contributions.erase_customer_data(user)


@hookimpl
def portal_load_demo_data(customers: list[User]) -> None:
    """Tickets in every status, added once."""
    contributions.load_demo_data(customers)


@hookimpl
def portal_seed(run: SeedRun) -> None:
    """Tickets with their conversations, for a benchmark database (``portal seed``)."""
    seed.seed_tickets(run)


@hookimpl
def portal_handle_event(event: Event) -> None:
    """Staff alerts, the auto-reply, mail to the people on a ticket, tickets held until sign-up."""
    reactions.handle(event)


@hookimpl
def portal_mail_handlers() -> list[MailHandler]:
    """Replies to ticket mail become messages; mail to the support address opens a ticket."""
    return [mail_replies.mail_handler()]
