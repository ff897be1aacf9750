"""A plugin with a typo in a hook name; the portal must refuse to start rather than ignore it."""

from __future__ import annotations

from portal.plugin import NavItem, hookimpl


@hookimpl
def portal_misspelt_hook() -> list[NavItem]:
    """Meant to be ``portal_nav_items``; pluggy's ``check_pending`` finds no such hook."""
    return []
