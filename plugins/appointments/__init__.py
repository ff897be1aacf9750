"""The appointments plugin: staff offer slots, customers book and cancel, a reminder comes before.

This file holds hookimpls only; each hands the work to one of the plugin's modules. It is the
plugin docs/plugin-tutorial.md walks through, and it imports nothing of the core but portal.plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from portal.plugin import PluginInfo, hookimpl

from . import contributions, customer_data, events, reminders, staff_figures
from .customer_views import bp
from .models import MIGRATIONS_FOLDER
from .settings import plugin_settings
from .staff_views import staff_bp

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Blueprint

    from portal.plugin import (
        DomainEvent,
        Figure,
        NavItem,
        NotificationType,
        Panel,
        ScheduledTask,
        Setting,
        User,
        Widget,
    )


@hookimpl
def portal_plugin_info() -> PluginInfo:
    """ "Appointments": what the plugin is, for the plugins page."""
    return PluginInfo(
        display_name=_l("Appointments"),
        description=_l("Staff offer times, customers book and cancel them, and a reminder comes before."),
    )


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """Customer pages at /appointments, staff pages at /staff/appointments."""
    return [bp, staff_bp]


@hookimpl
def portal_migrations_folder() -> Path:
    """The Alembic branch "appointments"."""
    return MIGRATIONS_FOLDER


@hookimpl
def portal_nav_items(user: User | None) -> list[NavItem]:
    """ "Appointments" for a signed-in customer."""
    return contributions.customer_links(user)


@hookimpl
def portal_staff_nav_items() -> list[NavItem]:
    """The slots staff offer and who booked them."""
    return contributions.staff_links()


@hookimpl
def portal_dashboard_widgets(user: User | None) -> list[Widget]:
    """The customer's next appointment."""
    return contributions.dashboard_widgets(user)


@hookimpl
def portal_customer_panels(customer: User) -> list[Panel]:
    """The customer's next and latest appointments on their 360° page."""
    return customer_data.customer_panels(customer)


@hookimpl
def portal_staff_figures() -> list[Figure]:
    """The bookings of today and the next six days, per day."""
    return staff_figures.staff_figures()


@hookimpl
def portal_plugin_settings() -> list[Setting]:
    """The cancellation cut-off, the reminder's lead time and whom to contact after the cut-off."""
    return plugin_settings()


@hookimpl
def portal_notification_types() -> list[NotificationType]:
    """Reminders before appointments, and cancellations by staff."""
    return reminders.notification_types()


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """appointments.booked and appointments.cancelled."""
    return events.EVENT_TYPES


@hookimpl
def portal_scheduled_tasks() -> list[ScheduledTask]:
    """Send the reminders that are due."""
    return contributions.scheduled_tasks()


@hookimpl
def portal_export_customer_data(user: User) -> dict[str, Any] | None:
    """Every booking the customer made."""
    return customer_data.export(user)


@hookimpl
def portal_erase_customer_data(user: User) -> None:
    """The customer's bookings go with the account, and their places are freed."""
    customer_data.erase(user)


@hookimpl
def portal_load_demo_data(customers: list[User]) -> None:
    """A few slots next week in the demo customers' zones, in English and Persian."""
    customer_data.add_demo(customers)
