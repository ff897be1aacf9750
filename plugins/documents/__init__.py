"""The documents plugin: customers' invoices, contracts, manuals and statements, and personalised PDFs.

This file holds hookimpls only; each hands the work to one of the plugin's modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import NavItem, NotificationType, Widget, hookimpl

from . import customer_data, events, publishing  # noqa: F401  (publishing declares the notify task)
from .models import MIGRATIONS_FOLDER
from .settings import plugin_settings
from .views import bp, staff_bp

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Blueprint

    from portal.plugin import DomainEvent, Panel, Setting, User


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
    """ "Documents" for signed-in customers."""
    if user is None:
        return []
    return [NavItem(label=_l("Documents"), endpoint="documents.index", order=40)]


@hookimpl
def portal_staff_nav_items(user: User) -> list[NavItem]:
    """Documents for staff; templates for administrators."""
    items = [NavItem(label=_l("Documents"), endpoint="documents_staff.staff_index", order=40)]
    if user.is_admin:
        items.append(
            NavItem(label=_l("Document templates"), endpoint="documents_staff.templates_index", order=41)
        )
    return items


@hookimpl
def portal_template_slot(slot: str) -> Markup | None:
    """The plugin's stylesheet, in every page's head."""
    if slot != "head":
        return None
    return Markup(render_template("documents/head.html"))  # noqa: S704  (autoescaped template)


@hookimpl
def portal_dashboard_widgets() -> list[Widget]:
    """New documents the customer has not opened yet."""
    return [Widget(name="documents.new", title=_l("New documents"), endpoint="documents.widget", order=40)]


@hookimpl
def portal_notification_types() -> list[NotificationType]:
    """A document published for the customer."""
    return [
        NotificationType(
            kind="documents.published",
            label=_l("New documents"),
            description=_l("When a document is published for you."),
        )
    ]


@hookimpl
def portal_customer_panels(customer: User) -> list[Panel]:
    """The customer's downloads on their 360° page."""
    return customer_data.customer_panels(customer)


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
    """One document of every category and one template, added once."""
    customer_data.add_demo(customers)
