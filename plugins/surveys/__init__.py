"""The surveys plugin: purposeful questions at the right moment, results at a glance.

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

from . import api, contributions, events, seed, staff_figures
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
def portal_plugin_info() -> PluginInfo:
    """Questionnaires and their results: what an administrator reads on the plugins page."""
    return PluginInfo(
        display_name=_l("Surveys"),
        description=_l("Short questionnaires sent at the right moment, with the results at a glance."),
    )


@hookimpl
def portal_api_blueprints() -> list[Any]:
    """Surveys, answering them, and their results and responses under /api/v1/surveys."""
    return [api.api]


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """Customer pages at /surveys, the builder and results at /staff/surveys."""
    return [bp, staff_bp]


@hookimpl
def portal_migrations_folder() -> Path:
    """The Alembic branch "surveys"."""
    return MIGRATIONS_FOLDER


@hookimpl
def portal_nav_items(user: User | None) -> list[NavItem]:
    """A link to the customer's waiting surveys."""
    return contributions.nav_items(user)


@hookimpl
def portal_dashboard_widgets(user: User | None) -> list[Widget]:
    """A tile telling the customer a survey is waiting for them."""
    return contributions.dashboard_widgets(user)


@hookimpl
def portal_staff_nav_items() -> list[NavItem]:
    """The survey builder and results."""
    return contributions.staff_nav_items()


@hookimpl
def portal_staff_figures() -> list[Figure]:
    """Survey responses per day, and the NPS and CSAT of the last 90 days."""
    return staff_figures.staff_figures()


@hookimpl
def portal_notification_types() -> list[NotificationType]:
    """Survey invitations and their reminders."""
    return contributions.notification_types()


@hookimpl
def portal_plugin_settings() -> list[Setting]:
    """The waiting period, reminders and how long invitation links work."""
    return plugin_settings()


@hookimpl
def portal_scheduled_tasks() -> list[ScheduledTask]:
    """Send the invitations that are due, and the reminders."""
    return contributions.scheduled_tasks()


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """Customers invited to a survey, and responses submitted."""
    return events.EVENT_TYPES


@hookimpl
def portal_handle_event(event: Event) -> None:
    """Events that trigger surveys (tickets.resolved) and ratings that count as a question asked."""
    contributions.handle_event(event)


@hookimpl
def portal_page_assets(endpoint: str) -> PageAssets | None:
    """The stylesheet on the plugin's pages, its widget's and panel's, and the staff ticket page (CSAT)."""
    return plugin_stylesheet(
        endpoint,
        plugin="surveys",
        filename="surveys.css",
        also_on=(DASHBOARD_PAGE, CUSTOMER_360_PAGE, "tickets_staff.show"),
    )


@hookimpl
def portal_template_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """The CSAT given about a ticket (``tickets.staff_details``); the survey step of ``tickets.apology``."""
    return contributions.template_slot(slot, context)


@hookimpl
def portal_customer_panels(customer: User) -> list[Panel]:
    """How often the customer was asked and answered, and whether they opted out."""
    return contributions.customer_panels(customer)


@hookimpl
def portal_export_customer_data(user: User) -> dict[str, Any] | None:
    """The customer's invitations and answers (anonymous answers cannot be linked to them)."""
    return contributions.export_customer_data(user)


@hookimpl
def portal_erase_customer_data(user: User) -> None:
    """Answers, invitations and contacts go with the account."""
    contributions.erase_customer_data(user)


@hookimpl
def portal_load_demo_data(customers: list[User]) -> None:
    """An NPS survey with answers and a CSAT survey after tickets."""
    contributions.load_demo_data(customers)


@hookimpl
def portal_seed(run: SeedRun) -> None:
    """Published surveys, invitations and submitted responses (``portal seed``)."""
    seed.seed_responses(run)
