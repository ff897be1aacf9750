"""One plugin host per app: discovers installed plugins, knows which are enabled, and calls hooks.

Installed means the package declares a ``portal.plugins`` entry point. Enabled means listed in
``PORTAL_PLUGINS`` unless an administrator switched it since; that switch lives in the database, so
every worker process sees it at its next request without a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy
from flask import Blueprint, Flask, abort, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from portal import hookspecs
from portal.access import declared_access
from portal.configuration_cache import kept
from portal.database import db
from portal.unit_of_work import forget

if TYPE_CHECKING:
    from portal.accounts.models import User

ENTRY_POINT_GROUP = "portal.plugins"
SWITCHES = "portal_plugin_switches"  # the unit of work's name for the enabled plugins


class PluginError(RuntimeError):
    """A plugin is missing, misnamed or breaks the contract; the start stops with this message."""


@dataclass(frozen=True)
class InstalledPlugin:
    """An installed plugin: its name (the entry point's), module, and the distribution it came from."""

    name: str
    module: ModuleType
    distribution: str
    version: str


def _distribution_of(point: EntryPoint) -> tuple[str, str]:
    """The name and version of the package that installed ``point``, its metadata read once."""
    if point.dist is None:
        return "unknown", "unknown"
    metadata = point.dist.metadata
    return metadata["Name"], metadata["Version"]


class PluginHost:
    """The app's pluggy manager plus the enabled/disabled state that filters every hook call."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.manager = pluggy.PluginManager("portal")
        self.manager.add_hookspecs(hookspecs)
        self.installed: dict[str, InstalledPlugin] = {}
        self.blueprint_owner: dict[str, str] = {}
        self._subset_callers: dict[tuple[str, frozenset[str]], Any] = {}

    def discover(self) -> None:
        """Register every installed plugin and fail loudly on any plugin the config names but lacks."""
        for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
            if point.name in self.installed:
                raise PluginError(f"Two installed packages both provide the plugin {point.name!r}.")
            module = point.load()
            self.manager.register(module, name=point.name)
            distribution, version = _distribution_of(point)
            self.installed[point.name] = InstalledPlugin(
                name=point.name, module=module, distribution=distribution, version=version
            )
        try:
            self.manager.check_pending()
        except pluggy.PluginValidationError as error:
            name = self.manager.get_name(error.plugin) or repr(error.plugin)
            raise PluginError(
                f"Plugin {name!r} implements a hook the portal does not have: {error}. "
                "Check the spelling against docs/plugins.md."
            ) from error
        missing = [name for name in self.app.config["PORTAL_PLUGINS"] if name not in self.installed]
        if missing:
            raise PluginError(
                "PORTAL_PLUGINS names plugins that are not installed: "
                + ", ".join(sorted(missing))
                + ". Install their packages or remove them from the setting. Installed: "
                + (", ".join(sorted(self.installed)) or "none")
                + "."
            )

    def register_translations(self) -> None:
        """Add every installed plugin's catalogue folder, read before the core's so the core's words win.

        Flask-Babel merges the catalogues of all folders in order, a later one overriding an earlier.
        """
        folders = [
            str(folder) for _name, folder in self.call_each("portal_translations_folder", enabled_only=False)
        ]
        babel_config = self.app.extensions["babel"]
        babel_config.translation_directories = folders + list(babel_config.translation_directories)

    def register_blueprints(self) -> None:
        """Register every installed plugin's blueprints; a disabled plugin's routes answer 404."""
        for blueprint in self._owned_blueprints("portal_blueprints"):
            self.app.register_blueprint(blueprint)

    def api_blueprints(self) -> list[Any]:
        """Every installed plugin's API blueprints, owned like its pages (a disabled plugin's answer 404)."""
        return self._owned_blueprints("portal_api_blueprints")

    def _owned_blueprints(self, hook_name: str) -> list[Any]:
        blueprints = []
        for plugin_name, result in self.call_each(hook_name, enabled_only=False):
            for blueprint in result or []:
                if blueprint.name != plugin_name and not blueprint.name.startswith(plugin_name + "_"):
                    raise PluginError(
                        f"Plugin {plugin_name!r} registers a blueprint named {blueprint.name!r}; "
                        f"blueprint names must be {plugin_name!r} or start with '{plugin_name}_'."
                    )
                self.blueprint_owner[blueprint.name] = plugin_name
                blueprints.append(blueprint)
        return blueprints

    def refuse_undeclared_views(self) -> None:
        """Stop the start if any view, a plugin's or the core's, does not declare who may open it.

        Deny by default: a view without a declaration would answer anyone, signed in or not. Every
        installed plugin's blueprints are registered whether enabled or not, so a disabled plugin is
        checked too; it could be switched on later without a restart. Static files are everyone's.
        """
        for rule in self.app.url_map.iter_rules():
            view = self.app.view_functions[rule.endpoint]
            if serves_static_files(rule.endpoint, view) or declared_access(view) is not None:
                continue
            owner = self.blueprint_owner.get(rule.endpoint.split(".")[0])
            where = f"of plugin {owner!r}" if owner else "of the portal core"
            raise PluginError(
                f"The view {rule.endpoint!r} {where} (URL {rule.rule}) does not say who may open it, "
                "so anyone could. Decorate it with one of portal.plugin.public, customer, agent or admin "
                "(for a class-based view, list it in the view's decorators)."
            )

    # --- enabled state -------------------------------------------------------------------------

    def stored_switches(self) -> dict[str, bool]:
        """The administrator's switches, read fresh from the database (an empty map before migrating)."""
        from portal.plugin_state import PluginState

        try:
            rows = db.session.execute(select(PluginState.name, PluginState.enabled)).all()
        except (OperationalError, ProgrammingError):
            db.session.rollback()
            return {}
        return {name: enabled for name, enabled in rows}

    def compute_enabled(self, switches: dict[str, bool]) -> frozenset[str]:
        configured = set(self.app.config["PORTAL_PLUGINS"])
        return frozenset(name for name in self.installed if switches.get(name, name in configured))

    def enabled(self) -> frozenset[str]:
        """The plugins enabled in this unit of work (a request, a job, a tick), read once per unit.

        Every hook call asks, so reading the switches each time would cost a query per call. The
        worker keeps them between units while the configuration generation stands
        (``portal.configuration_cache``), so a switch still reaches every worker at its next unit.
        """
        configured = (tuple(self.app.config["PORTAL_PLUGINS"]), tuple(self.installed))
        return kept(SWITCHES, lambda: self.compute_enabled(self.stored_switches()), also=configured)

    def forget_switches(self) -> None:
        """Read the switches again in this unit of work, because it has just changed one."""
        forget(SWITCHES)

    def is_enabled(self, name: str) -> bool:
        return name in self.enabled()

    # --- calling hooks ---------------------------------------------------------------------------

    @property
    def hook(self) -> _EnabledHooks:
        """Hook callers that skip disabled plugins: ``host.hook.portal_nav_items(user=...)``."""
        return _EnabledHooks(self, frozenset(self.installed) - self.enabled())

    @property
    def all_hooks(self) -> pluggy.HookRelay:
        """Hook callers over every installed plugin, for setup, migrations and erasure."""
        return self.manager.hook

    def subset_caller(self, hook_name: str, disabled: frozenset[str]) -> Any:
        key = (hook_name, disabled)
        if key not in self._subset_callers:
            modules = [self.installed[name].module for name in disabled]
            self._subset_callers[key] = self.manager.subset_hook_caller(hook_name, modules)
        return self._subset_callers[key]

    def call_each(self, hook_name: str, enabled_only: bool = True, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook plugin by plugin and keep who answered what, for results filed by plugin."""
        allowed = self.enabled() if enabled_only else frozenset(self.installed)
        caller = getattr(self.manager.hook, hook_name)
        answers = []
        for impl in reversed(caller.get_hookimpls()):
            if impl.plugin_name not in allowed:
                continue
            result = impl.function(*(kwargs[arg] for arg in impl.argnames))
            if result is not None:
                answers.append((impl.plugin_name, result))
        return answers

    def implemented_hooks(self, name: str) -> list[str]:
        """The hook names a plugin implements, for the administrator's plugins page."""
        callers = self.manager.get_hookcallers(self.installed[name].module) or []
        return sorted(caller.name for caller in callers)

    def guard_plugin_routes(self) -> None:
        """Answer 404 for routes of a plugin that is installed but switched off."""
        # request.blueprints runs from the current blueprint up to the top-level one the plugin
        # registered, so routes of a nested blueprint ("example.inner") are guarded too.
        owner = self.blueprint_owner.get(request.blueprints[-1] if request.blueprints else "")
        if owner is not None and not self.is_enabled(owner):
            abort(404)


class _EnabledHooks:
    def __init__(self, host: PluginHost, disabled: frozenset[str]) -> None:
        self._host = host
        self._disabled = disabled

    def __getattr__(self, hook_name: str) -> Any:
        if not self._disabled:
            return getattr(self._host.manager.hook, hook_name)
        return self._host.subset_caller(hook_name, self._disabled)


def serves_static_files(endpoint: str, view: Any) -> bool:
    """Whether a view is Flask's static route or a blueprint's: the same files for everyone, undeclared."""
    return endpoint == "static" or getattr(view, "__func__", None) is Blueprint.send_static_file


def plugin_host(app: Flask | None = None) -> PluginHost:
    """The plugin host of ``app`` (by default the current app)."""
    return (app or current_app).extensions["portal_plugins"]


def sorted_nav(items: list[list[Any]]) -> list[Any]:
    """Flatten the lists plugins returned and order them as the reader will see them."""
    flat = [item for group in items for item in (group or [])]
    return sorted(flat, key=lambda item: (item.order, str(item.label)))


class LazyNav:
    """Navigation items for templates, asked of the plugins only when a template shows them.

    Every template render runs the context processors, mails and htmx fragments too, though only
    the layout shows navigation; so the hook runs on the first loop over the items, once per render.
    """

    def __init__(self, hook_name: str, user: User | None) -> None:
        self._hook_name = hook_name
        self._user = user
        self._items: list[Any] | None = None

    def items(self) -> list[Any]:
        """The items, ordered as the reader sees them; the plugins are asked the first time only."""
        if self._items is None:
            hook = getattr(plugin_host().hook, self._hook_name)
            self._items = sorted_nav(hook(user=self._user))
        return self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items())

    def __len__(self) -> int:
        return len(self.items())

    def __bool__(self) -> bool:
        return bool(self.items())
