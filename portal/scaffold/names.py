"""Which names a new plugin may take: the name goes into tables, URLs, a Python package and a branch
label, so a bad one is refused before anything is written, with the reason and what to do instead.
"""

from __future__ import annotations

import keyword
import re
import sys
from importlib.metadata import entry_points
from importlib.util import find_spec

from portal.plugin_manager import ENTRY_POINT_GROUP

# Lowercase words joined by single underscores: a Python package, a table prefix and a URL at once.
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
# PostgreSQL cuts identifiers at 63 characters; the longest the scaffold derives is
# "fk_<name>_items_user_id_portal_users", so 30 keeps every constraint name whole.
PLUGIN_NAME_MAX = 30
# The portal's own names: its packages, the "core" event namespace, and its blueprints and top-level
# URLs, which a plugin's blueprint and URL prefix (both the plugin's name) would collide with.
RESERVED = frozenset(
    {
        *("portal", "plugins", "core", "test", "tests", "static", "api"),
        *("account", "auth", "dashboard", "notifications", "operations", "organization", "organizations"),
        *("staff", "staff_customers", "staff_settings", "organizations_staff"),
        *("login", "logout", "register", "verify", "password", "email", "export", "delete"),
    }
)


class PluginNameError(ValueError):
    """The name cannot be a plugin's; the message says why and what would do."""


def check_plugin_name(name: str) -> None:
    """Refuse a name that would clash with Python, the portal or an installed plugin or package."""
    if not PLUGIN_NAME.match(name) or len(name) > PLUGIN_NAME_MAX:
        raise PluginNameError(
            f"{name!r} cannot name a plugin: use lowercase letters and digits, words joined by one "
            f"underscore, starting with a letter, at most {PLUGIN_NAME_MAX} characters (e.g. 'gift_cards')."
        )
    if keyword.iskeyword(name) or name in sys.stdlib_module_names or name in RESERVED:
        raise PluginNameError(f"{name!r} is taken by Python or the portal itself; choose another name.")
    if name in {point.name for point in entry_points(group=ENTRY_POINT_GROUP)}:
        raise PluginNameError(f"A plugin named {name!r} is already installed; choose another name.")
    if find_spec(name) is not None:
        raise PluginNameError(
            f"A Python package named {name!r} is already installed, and the plugin's package would "
            "clash with it; choose another name."
        )
