"""``portal plugin new NAME``: a new plugin distribution that passes its own tests and ruff at once."""

from portal.scaffold.generate import ScaffoldError, create_plugin
from portal.scaffold.names import PluginNameError, check_plugin_name

__all__ = ["PluginNameError", "ScaffoldError", "check_plugin_name", "create_plugin"]
