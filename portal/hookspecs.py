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
    from portal.approvals.kinds import ApprovalKind
    from portal.contributions import Figure, MailHandler, NavItem, NotificationType, Panel, Widget
    from portal.event_types import DomainEvent
    from portal.events import Event
    from portal.page_assets import PageAssets
    from portal.plugin_info import PluginInfo
    from portal.schedule import ScheduledTask
    from portal.seed import SeedRun
    from portal.segments import Segment
    from portal.settings import Setting
    from portal.transfers.kinds import ExportKind, ImportKind

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
def portal_api_blueprints() -> list[Any]:
    """Return the plugin's API routes: ``ApiBlueprint`` objects (flask-smorest blueprints).

    Called once at start for every installed plugin, like ``portal_blueprints``; each is mounted under
    ``/api/v1`` (plus its own ``url_prefix``) and its routes join the OpenAPI document while the
    plugin is enabled. Names follow the page rule (the plugin's name, or starting with it and
    ``_``). Every view declares ``api_access(level, scope)`` with a scope in the plugin's own area
    (``tickets:read``, ``tickets:write``), and takes and returns marshmallow schemas through the
    blueprint's ``arguments`` and ``response`` decorators, which are what the document is made of.
    """


@hookspec
def portal_migrations_folder() -> str | Path | None:
    """Return the folder holding the plugin's Alembic revisions, or ``None`` if it has no tables.

    Called for every installed plugin when migrations run, enabled or not, so disabling a plugin
    never strands or drops its data. The folder is one Alembic branch labelled with the plugin's
    name whose first revision ``depends_on`` the core.
    """


@hookspec
def portal_translations_folder() -> str | Path | None:
    """Return the folder of the plugin's own compiled catalogues, or ``None`` if it uses the core's.

    A plugin distribution cannot add its strings to the portal's catalogue, so it ships its own:
    ``<folder>/<language>/LC_MESSAGES/messages.mo``. Called once when the app is created, for every
    installed plugin. The catalogues are merged under the core's, so a plugin translates its own
    strings and cannot change the portal's.
    """


@hookspec
def portal_cli_commands() -> list[click.Command]:
    """Return click commands to add under ``portal``.

    Called when the app is created, for enabled plugins only. Name commands after the plugin
    (a ``tickets`` group, say) so two plugins cannot collide.
    """


@hookspec
def portal_plugin_info() -> PluginInfo:
    """Return the plugin's name and description for people, as a ``PluginInfo``.

    Called for every installed plugin, enabled or not, whenever the staff console lists plugins
    (/staff/plugins and the switch-off page), so an administrator reads "Surveys: questionnaires
    customers answer" instead of an entry-point name. Use ``lazy_gettext`` so each reader sees their
    language. A plugin without this hook is shown by its entry-point name.
    """


# --- Pages: called while rendering a request ---------------------------------------------------


@hookspec
def portal_page_assets(endpoint: str) -> PageAssets | None:
    """Return the stylesheets and scripts to add to the page of ``endpoint``, or ``None`` for none.

    Called by the layout on every full page, for enabled plugins only, with the endpoint being
    rendered (``"tickets.show"``); answer for your own pages only, so no page downloads what it does
    not use. URLs must be paths on this portal (``url_for("tickets.static", filename="tickets.css")``):
    the Content-Security-Policy allows nothing else, so any other URL is refused with an error.
    Scripts load with ``defer``.
    """


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
def portal_customer_fields(customer: User) -> dict[str, str] | None:
    """Return named facts about ``customer`` that personalised text may use, such as a tier name.

    Called for enabled plugins whenever a document template, a mail or another plugin fills in a
    customer's details (``portal.plugin.customer_fields``). The core files each answer under the
    plugin's name, so a template writes ``{{ loyalty.tier }}``. Values are plain text; keep keys
    short identifiers and return only what the customer may see about themselves.
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


@hookspec
def portal_seed(run: SeedRun) -> None:
    """Add the plugin's rows for a benchmark database of a known size (``portal seed``).

    Called once per ``portal seed``, for enabled plugins only, after the core has added the demo
    catalogue, the seeded accounts (``run.customer_ids``, ``run.agent_ids``, ``run.admin_id``),
    organizations and events. Read the counts that concern you from ``run.counts`` (tickets, ledger
    rows…), draw from ``run.random(<plugin name>)`` so every run makes the same data, and write with
    ``run.insert`` (bulk inserts in batches, committed, with a progress bar); keep whatever the
    plugin maintains from its rows (cached balances, totals) right, as a real write would.
    """


# --- Staff console: a customer's 360° page and plugin settings ---------------------------------


@hookspec
def portal_customer_panels(customer: User, viewer: User) -> list[Panel]:
    """Return panels for the staff console's page about ``customer`` (/staff/customers/<id>).

    Called each time that page renders, for enabled plugins only. ``viewer`` is the agent or
    administrator looking; return only what that person may see. ``customer`` may be a staff
    account too: staff can look a colleague up. The core renders each panel's template inside a
    card, in ``order``, next to its own panels (the profile comes first, with order 10).
    """


@hookspec
def portal_staff_figures(user: User) -> list[Figure]:
    """Return the numbers staff watch, as cards on the staff console's dashboard (/staff/).

    Called each time that page renders, for enabled plugins only and only for an agent or
    administrator ``user``: return what that person may open (a figure may depend on the role).
    Figures are data, not HTML, so every plugin's numbers look and read alike and their charts are
    drawn once, by the core. Keep it to a few aggregate queries: the page waits for every plugin.
    """


@hookspec
def portal_plugin_settings() -> list[Setting]:
    """Return the settings the plugin declares, each with a type, a default and its limits.

    Called once at start for every installed plugin, enabled or not, so an administrator can
    configure a plugin before switching it on (/staff/settings/<plugin>). Keys are unique within
    the plugin; a bad declaration stops the start. Read values with ``get_setting(plugin, key)``.
    """


# --- Notifications: what a customer can be told about --------------------------------------------


@hookspec
def portal_notification_types() -> list[NotificationType]:
    """Return the kinds of notification the plugin sends, each named ``<plugin name>.<what>``.

    Called for enabled plugins only, whenever the core needs the kinds: on each ``notify`` call and
    when a customer opens their email preferences (/account/notifications). A switched-off plugin's
    kinds are neither offered nor sendable. ``notify`` refuses a kind nobody declared.
    """


# --- Inbound mail: replies and requests that arrive by email ------------------------------------


@hookspec
def portal_mail_handlers() -> list[MailHandler]:
    """Return the plugin's ``MailHandler``s, so mail sent to the portal reaches the plugin it is for.

    Called for enabled plugins only, for each inbound mail, after the core has checked it (size,
    form, auto-replies, loops) and verified that its signed reply address (``reply_address``) belongs
    to the sender. The core calls ``on_reply(mail, thread)`` of the handler named in the address, and
    ``on_new(mail)`` of the one handler that has it for mail to the plain support address. A handler
    name used twice, or two handlers with ``on_new``, stops the mail with a ``PluginError``.
    docs/mail-in.md describes the whole path.
    """


# --- Audiences: named groups of customers -------------------------------------------------------


@hookspec
def portal_segments() -> list[Segment]:
    """Return the named groups of customers the plugin knows, for others to aim content at.

    Called for enabled plugins only, whenever the core lists or resolves segments
    (``all_segments``, ``segment_by_key``, ``segment_member_ids``, ``in_segment``), so a switched-off
    plugin's segments are neither offered nor resolved. Each key starts with ``<plugin name>.``
    (``loyalty.tier:gold``) and stays stable, since others store it; ``member_ids`` returns a select
    of account ids and must not load the members.
    """


# --- Import and export: other systems' data in and out as CSV -----------------------------------


@hookspec
def portal_import_kinds() -> list[ImportKind]:
    """Return the kinds of rows the plugin imports from CSV, each an ``ImportKind``.

    So a shop or an ERP syncs the plugin's data through the one mechanism the core's customers use
    (``portal import``, ``POST /api/v1/imports/<kind>``): every row checked first, all applied in one
    transaction or none, a file imported twice changing nothing. Called for enabled plugins only,
    whenever kinds are listed or one is run, so a switched-off plugin's kinds are not offered. Each
    name is ``<plugin name>.<what>`` and its ``area`` the plugin's name; anything else, or a name
    declared twice, raises a ``PluginError`` naming the plugin.
    """


@hookspec
def portal_export_kinds() -> list[ExportKind]:
    """Return the kinds of rows the plugin exports as CSV, each an ``ExportKind``.

    The other direction of ``portal_import_kinds`` (``portal export``, ``GET
    /api/v1/exports/<kind>``): the core writes every cell so no spreadsheet runs it as a formula, and
    ``since`` lets a sync read only what is new. Called for enabled plugins only; names and areas
    follow the rules of ``portal_import_kinds``.
    """


# --- Approvals: actions that wait for an administrator's decision -------------------------------


@hookspec
def portal_approval_kinds() -> list[ApprovalKind]:
    """Return the kinds of request the plugin sends for an administrator's approval, each an ``ApprovalKind``.

    Some actions are fine for a supervisor but too much for whoever asks (goodwill above an agent's
    limit): rather than refusing, the plugin stores the action with ``request_approval`` and an
    administrator other than the requester approves or declines it at /staff/approvals/, through one
    mechanism with one page, one audit trail and four eyes for every plugin. Called for enabled plugins
    only, whenever the core lists or decides requests, so a switched-off plugin's requests wait and
    cannot be decided. Each name is ``<plugin name>.<what>``; anything else, or a name declared twice,
    raises a ``PluginError`` naming the plugin. ``apply(payload, approver)`` runs inside the approving
    transaction: it raises ``ApprovalRefusedError`` to refuse, and then nothing changes.
    """


# --- Events and scheduled work -----------------------------------------------------------------


@hookspec
def portal_event_types() -> list[type[DomainEvent]]:
    """Return the classes of the events the plugin emits, each a frozen dataclass of ``DomainEvent``.

    Called once when the app is created, for every installed plugin, enabled or not (its stored events
    still need their types). Each class's ``name`` is ``<plugin name>.<verb>``: a name outside the
    plugin's namespace, or declared twice, stops the start. ``emit`` refuses an event whose class is not
    declared here, or that code outside the plugin's package emits. docs/events.md is generated from
    these declarations.
    """


@hookspec
def portal_handle_event(event: Event) -> None:
    """React to ``event``, something another part of the portal emitted (``tickets.resolved``…).

    Called after the transaction that emitted the event committed, once per plugin, for the plugins
    enabled when it was emitted (and still enabled); returns nothing. The call runs inside a
    transaction that also marks this plugin's delivery done: add to ``db.session`` and do not commit.
    If it raises, everything rolls back and the delivery is retried later, so an event has exactly one
    effect. ``event.data`` is the typed event its owner declared; key effects that must happen once
    per business fact on ``event.fact`` (``rated:42``), else on ``event.id``. Skip events you do not need.
    """


@hookspec
def portal_scheduled_tasks() -> list[ScheduledTask]:
    """Return the work to do every so often, each a ``ScheduledTask(name, every, function)``.

    Called by each ``portal tick`` (every minute from cron or a systemd timer), for enabled plugins
    only. Each name starts with ``<plugin name>.``; a task runs at most once per ``every`` across all
    machines, and the tick commits what ``function`` adds to ``db.session`` when it returns.
    """
