"""The example plugin: a customer's notes. Every hook of the portal, each delegating to one module.

This is the plugin the portal's own tests enable and disable, and the pattern to copy: this file holds
hookimpls only, so the plugin's whole surface reads on one screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from portal.plugin import NavItem, PluginInfo, Widget, hookimpl

from . import (
    api,
    approvals,
    assets,
    customer_data,
    event_log,
    events,
    figures,
    heartbeat,
    mail_notes,
    navigation,
    segments,
    shared_notes,
    slots,
    transfers,
)
from .cli import example_group
from .i18n import TRANSLATIONS_FOLDER
from .models import MIGRATIONS_FOLDER
from .notifications import notification_types
from .panels import customer_panels
from .settings import plugin_settings
from .views import bp

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
        MailHandler,
        NotificationType,
        PageAssets,
        Panel,
        ScheduledTask,
        SeedRun,
        Segment,
        Setting,
        User,
    )


@hookimpl
def portal_plugin_info() -> PluginInfo:
    """What an administrator reads about the plugin on the plugins page, in their language."""
    return PluginInfo(
        display_name=_l("Notes"),
        description=_l("Customers keep notes for themselves and share them with their organization."),
    )


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """The notes pages; registered even while the plugin is off, when they answer 404."""
    return [bp, shared_notes.bp]


@hookimpl
def portal_api_blueprints() -> list[Any]:
    """The notes under /api/v1/example/notes, for a customer's own tools."""
    return [api.api]


@hookimpl
def portal_migrations_folder() -> Path:
    """The Alembic branch that makes the notes table, run whether the plugin is on or off."""
    return MIGRATIONS_FOLDER


@hookimpl
def portal_translations_folder() -> Path:
    """The plugin's own catalogues (Persian here), since its strings are not in the portal's."""
    return TRANSLATIONS_FOLDER


@hookimpl
def portal_cli_commands() -> list[click.Command]:
    """``portal example count-notes``, for operators checking the plugin from a shell."""
    return [example_group]


@hookimpl
def portal_nav_items(user: User | None) -> list[NavItem]:
    """A link to the notes for signed-in people; visitors have no notes."""
    return navigation.customer_links(signed_in=user is not None)


@hookimpl
def portal_staff_nav_items() -> list[NavItem]:
    """The staff overview, so agents can see the plugin is in use."""
    return navigation.staff_links()


@hookimpl
def portal_dashboard_widgets() -> list[Widget]:
    """A tile counting the customer's notes, loaded from its own endpoint."""
    return navigation.dashboard_widgets()


@hookimpl
def portal_template_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """A line above the dashboard's tiles; no other slot gets anything."""
    return slots.render_slot(slot, context)


@hookimpl
def portal_page_assets(endpoint: str) -> PageAssets | None:
    """The notes pages' stylesheet, on those pages only."""
    return assets.page_assets(endpoint)


@hookimpl
def portal_customer_fields(customer: User) -> dict[str, str]:
    """How many notes the customer keeps, for personalised text."""
    return {"notes": str(customer_data.count_notes(customer.id))}


@hookimpl
def portal_mail_handlers() -> list[MailHandler]:
    """Replies to the plugin's reply addresses become notes of whoever sent them."""
    return mail_notes.mail_handlers()


@hookimpl
def portal_export_customer_data(user: User) -> dict[str, Any] | None:
    """The customer's notes belong in their copy of their data."""
    return customer_data.export_notes(user.id)


@hookimpl
def portal_erase_customer_data(user: User) -> None:
    """Notes go with the account, in the same transaction."""
    customer_data.erase_notes(user.id)


@hookimpl
def portal_load_demo_data(customers: list[User]) -> None:
    """One note per demo customer, added once however often ``portal demo`` runs."""
    customer_data.add_demo_notes([person.id for person in customers])


@hookimpl
def portal_seed(run: SeedRun) -> None:
    """A note for every customer of a benchmark database (``portal seed``)."""
    customer_data.seed_notes(run)


@hookimpl
def portal_notification_types() -> list[NotificationType]:
    """Note reminders, which customers may choose to get by email too."""
    return notification_types()


@hookimpl
def portal_customer_panels(customer: User) -> list[Panel]:
    """The customer's notes on their page in the staff console, as the settings ask."""
    return customer_panels(customer)


@hookimpl
def portal_staff_figures(user: User) -> list[Figure]:
    """Notes written per day for every agent; how many customers keep notes for administrators only."""
    return figures.staff_figures(user)


@hookimpl
def portal_plugin_settings() -> list[Setting]:
    """How many notes agents see on a customer's page, in which order, and whether dated."""
    return plugin_settings()


@hookimpl
def portal_segments() -> list[Segment]:
    """Customers who keep notes, so other features can aim at them without importing this plugin."""
    return segments.note_keepers()


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """The events this plugin emits (``example.note_added``); only its own code may emit them."""
    return events.EVENT_TYPES


@hookimpl
def portal_handle_event(event: Event) -> None:
    """Log every event received, so the tests can see each one arrives exactly once."""
    event_log.record(event)


@hookimpl
def portal_approval_kinds() -> list[ApprovalKind]:
    """``example.remove_note``: an agent asks, an administrator removes the note by approving."""
    return approvals.approval_kinds()


@hookimpl
def portal_import_kinds() -> list[ImportKind]:
    """``example.notes``: notes from a CSV of addresses and texts, each note added once."""
    return [transfers.NOTES_IMPORT]


@hookimpl
def portal_export_kinds() -> list[ExportKind]:
    """``example.notes``: every note with its customer's address, as CSV."""
    return [transfers.NOTES_EXPORT]


@hookimpl
def portal_scheduled_tasks() -> list[ScheduledTask]:
    """An hourly heartbeat, so the tests can count how often ``portal tick`` runs it."""
    return heartbeat.scheduled_tasks()
