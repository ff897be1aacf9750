"""Switching a plugin on or off at run time; the web page and the CLI share this one path."""

from __future__ import annotations

from portal import audit
from portal.database import db, utcnow
from portal.plugin_manager import PluginError, plugin_host
from portal.plugin_state import PluginState


def switch_plugin(name: str, enabled: bool, actor_id: int | None) -> None:
    """Record the administrator's choice; this unit of work sees it at once, every worker at its next."""
    host = plugin_host()
    if name not in host.installed:
        raise PluginError(f"No plugin named {name!r} is installed.")
    state = db.session.get(PluginState, name)
    if state is None:
        state = PluginState(name=name, enabled=enabled)
        db.session.add(state)
    state.enabled = enabled
    state.changed_at = utcnow()
    state.changed_by_id = actor_id
    audit.record("plugin_enabled" if enabled else "plugin_disabled", actor_id=actor_id, plugin=name)
    db.session.commit()
    host.forget_switches()
