"""What enabled plugins put into a named place of a template: ``{{ slot("name", key=value) }}``.

Templates call it through the ``slot`` global; a view calls it directly when whether anything is
there decides what it does (the tickets form asks "anything to read before this ticket is opened?").
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from portal.plugin_manager import plugin_host


def render_slot(slot: str, **context: Any) -> Markup:
    """Join what enabled plugins put in a template slot; plain strings are escaped."""
    parts = plugin_host().hook.portal_template_slot(slot=slot, context=context)
    return Markup("").join(part if isinstance(part, Markup) else escape(part) for part in parts)
