"""The settings the example plugin declares; an administrator changes them at /staff/settings/example."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import Setting

PANEL_NOTES = Setting(
    key="panel_notes",
    label=_l("Notes on a customer's page"),
    type="integer",
    default=3,
    min=1,
    max=20,
    help=_l("How many of a customer's notes agents see on the customer's page."),
)
PANEL_ORDER = Setting(
    key="panel_order",
    label=_l("Which notes come first"),
    type="choice",
    default="newest",
    choices=(("newest", _l("Newest first")), ("oldest", _l("Oldest first"))),
)
SHOW_DATES = Setting(
    key="show_dates",
    label=_l("Show when each note was written"),
    type="boolean",
    default=True,
)


def plugin_settings() -> list[Setting]:
    """Every setting of the plugin, in the order the settings page shows them."""
    return [PANEL_NOTES, PANEL_ORDER, SHOW_DATES]
