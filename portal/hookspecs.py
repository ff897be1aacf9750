"""Every hook the core calls. This module is the plugin contract; docs/plugins.md describes each hook.

Hooks are called with keyword arguments only, so an implementation may accept just the arguments it
uses and new arguments can be added later without breaking plugins. Unless a hook says otherwise,
all enabled plugins are called and their results are collected in a list; ``None`` results are
dropped. A disabled plugin's implementations are left out of every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    import click
    from flask import Blueprint
    from markupsafe import Markup

    from portal.accounts.models import User
    from portal.contributions import NavItem, Widget

hookspec = pluggy.HookspecMarker("portal")


# --- Setup: called once when the app is created, for every installed plugin --------------------


@hookspec
def portal_blueprints() -> list[Blueprint]:
    """Return the Flask blueprints that serve the plugin's pages.

    Called once at start for every installed plugin, enabled or not, because Flask cannot add routes
    later; while the plugin is disabled its routes answer 404. Each blueprint's name must be the
    plugin's name or start with ``<plugin name>_``, and every view must declare its access level
    with a decorator from ``portal.plugin``.
    """


@hookspec
def portal_migrations_folder() -> str | Path | None:
    """Return the folder holding the plugin's Alembic revisions, or ``None`` if it has no tables.

    Called for every installed plugin when migrations run, enabled or not, so disabling a plugin
    never strands or drops its data. The folder is one Alembic branch labelled with the plugin's
    name whose first revision ``depends_on`` the core.
    """


@hookspec
def portal_cli_commands() -> list[click.Command]:
    """Return click commands to add under ``portal``.

    Called when the app is created, for enabled plugins only. Name commands after the plugin
    (a ``tickets`` group, say) so two plugins cannot collide.
    """


# --- Pages: called while rendering a request ---------------------------------------------------


@hookspec
def portal_nav_items(user: User | None) -> list[NavItem]:
    """Return links for the customer navigation bar, shown on every page.

    ``user`` is the signed-in user or ``None`` for a visitor; return only what that person may open.
    """


@hookspec
def portal_staff_nav_items(user: User) -> list[NavItem]:
    """Return links for the staff console's navigation, for an agent or administrator ``user``."""


@hookspec
def portal_dashboard_widgets(user: User) -> list[Widget]:
    """Return tiles for the signed-in customer's dashboard.

    The dashboard renders a placeholder per widget that loads its endpoint on its own, so a slow
    plugin never holds up the page.
    """


@hookspec
def portal_template_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """Return HTML to insert into the named slot of a template, or ``None`` to add nothing.

    Templates call ``{{ slot("name", key=value) }}``; ``context`` holds those keyword values. Return
    ``Markup`` produced by ``render_template`` (plain strings are escaped). The slots the core renders
    are listed in docs/plugins.md; plugins document the slots they render themselves.
    """


# --- A customer's data ------------------------------------------------------------------------


@hookspec
def portal_export_customer_data(user: User) -> dict[str, Any] | None:
    """Return everything the plugin holds about ``user`` as JSON-ready data, for "download my data".

    Called for every installed plugin, enabled or not: a switched-off plugin still holds the data.
    The core files each plugin's answer under the plugin's name. Leave out what the customer must
    not see (internal staff notes, say).
    """


@hookspec
def portal_erase_customer_data(user: User) -> None:
    """Erase or anonymise the plugin's data about ``user``, who is deleting their account.

    Called inside the transaction that deletes the account, before the user row goes, for every
    installed plugin (a disabled plugin's data is erased too). Add to ``db.session``; do not commit.
    Raising aborts the deletion and nothing is lost.
    """


# --- Demo data ----------------------------------------------------------------------------------


@hookspec
def portal_load_demo_data(customers: list[User]) -> None:
    """Add the plugin's demo data for the demo ``customers`` (``portal demo``).

    Must be idempotent: ``portal demo`` may run again on the same database and must not duplicate
    anything. Add to ``db.session``; the core commits.
    """
