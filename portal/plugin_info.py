"""How a plugin is named for people: a display name and a description instead of its entry point.

"surveys" is a name for a config file; an administrator deciding whether to switch a plugin off
needs to read "Surveys" and what it does, in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString

from portal.plugin_manager import PluginError, plugin_host


@dataclass(frozen=True)
class PluginInfo:
    """A plugin's name and one-sentence description for people; use ``lazy_gettext`` for both."""

    display_name: str | LazyString
    description: str | LazyString = ""


def plugin_infos() -> dict[str, PluginInfo]:
    """Every installed plugin's info, enabled or not; a plugin without the hook shows its entry-point name.

    The host calls the hook plugin by plugin (pluggy's hookimpls know their plugin), so an answer
    is filed under the plugin that gave it, never guessed from the order.
    """
    host = plugin_host()
    infos = {name: PluginInfo(display_name=name) for name in host.installed}
    for name, info in host.call_each("portal_plugin_info", enabled_only=False):
        if not isinstance(info, PluginInfo):
            raise PluginError(
                f"Plugin {name!r} returned {info!r} from portal_plugin_info; "
                "return a portal.plugin.PluginInfo."
            )
        infos[name] = info
    return infos


def plugin_info(name: str) -> PluginInfo:
    """The info of the installed plugin ``name`` (KeyError for a name not installed)."""
    return plugin_infos()[name]
