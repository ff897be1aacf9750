"""The insights plugin: where each customer stands, what they are worth, and who is drifting away.

This file holds hookimpls only. The plugin learns from the portal's events and accounts, never from
another plugin's code: switched off, every other page works as before; switched on again, it reads
the events it missed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from portal.plugin import PluginInfo, hookimpl

from . import contributions, events
from .dashboard_views import dashboard_bp
from .models import MIGRATIONS_FOLDER
from .settings import plugin_settings
from .staff_views import staff_bp

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Blueprint

    from portal.plugin import DomainEvent, NavItem, Panel, ScheduledTask, Segment, Setting, User


@hookimpl
def portal_plugin_info() -> PluginInfo:
    """ "Insights": what the plugin is, for the plugins page."""
    return PluginInfo(
        display_name=_l("Insights"),
        description=_l(
            "Each customer's relationship stage, value grade and signs of leaving, learnt from what they do."
        ),
    )


@hookimpl
def portal_blueprints() -> list[Blueprint]:
    """Staff pages at /staff/insights: the dashboard (administrators), the at-risk list and the rules."""
    return [staff_bp, dashboard_bp]


@hookimpl
def portal_migrations_folder() -> Path:
    """The Alembic branch "insights"."""
    return MIGRATIONS_FOLDER


@hookimpl
def portal_staff_nav_items(user: User) -> list[NavItem]:
    """The business dashboard for administrators; the customers at risk, most valuable first."""
    return contributions.staff_links(user)


@hookimpl
def portal_customer_panels(customer: User) -> list[Panel]:
    """Stage, grade, risk with its reasons, recent stage changes, and setting the stage by hand."""
    return contributions.customer_panels(customer)


@hookimpl
def portal_plugin_settings() -> list[Setting]:
    """The thresholds of the stage, grade and risk rules."""
    return plugin_settings()


@hookimpl
def portal_event_types() -> list[type[DomainEvent]]:
    """insights.stage_changed."""
    return events.EVENT_TYPES


@hookimpl
def portal_segments() -> list[Segment]:
    """Customers by stage, by grade, and at risk, for surveys, documents and rewards to target."""
    return contributions.segments()


@hookimpl
def portal_scheduled_tasks() -> list[ScheduledTask]:
    """Read new events every five minutes; grade everyone daily."""
    return contributions.scheduled_tasks()


@hookimpl
def portal_export_customer_data(user: User) -> dict[str, Any] | None:
    """The stage, grade and risk the portal concluded, and every stage change."""
    return contributions.export_data(user)
