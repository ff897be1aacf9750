"""What an administrator sets for the help center (/staff/settings/helpcenter)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import Setting, get_setting

PLUGIN = "helpcenter"


def plugin_settings() -> list[Setting]:
    """Whether visitors may read, whether the ticket form suggests articles, and the deflection window."""
    return [
        Setting(
            key="public",
            label=_l("Visitors who are not signed in may read articles meant for everyone"),
            type="boolean",
            default=True,
            help=_l("Switched off, the help center is for signed-in customers only."),
        ),
        Setting(
            key="suggest_on_ticket_form",
            label=_l("Suggest articles while a customer writes a ticket"),
            type="boolean",
            default=True,
        ),
        Setting(
            key="deflection_hours",
            label=_l("A question counts as answered if no ticket follows within (hours)"),
            type="integer",
            default=24,
            min=1,
            max=720,
            help=_l(
                "Used for the deflection figure: readings from the ticket form with no ticket after them."
            ),
        ),
    ]


def suggest_on_ticket_form() -> bool:
    return bool(get_setting(PLUGIN, "suggest_on_ticket_form"))


def deflection_hours() -> int:
    return int(get_setting(PLUGIN, "deflection_hours"))
