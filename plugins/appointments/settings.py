"""What an administrator sets for appointments (/staff/settings/appointments)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import Setting, get_setting

PLUGIN = "appointments"


def plugin_settings() -> list[Setting]:
    """The cancellation cut-off, the reminder's lead time and who customers call after the cut-off."""
    return [
        Setting(
            key="cancel_cutoff_hours",
            label=_l("Customers may cancel until (hours before the start)"),
            type="integer",
            default=24,
            min=0,
            max=720,
            help=_l("After this, cancelling online is refused and the customer is told whom to contact."),
        ),
        Setting(
            key="reminder_hours",
            label=_l("Send the reminder (hours before the start)"),
            type="integer",
            default=24,
            min=1,
            max=336,
        ),
        Setting(
            key="contact",
            label=_l("Whom to contact for late changes"),
            type="text",
            default="",
            max_length=200,
            help=_l("For example: reception, +1 555 0100. Left empty, customers are asked to open a ticket."),
        ),
    ]


def cancel_cutoff_hours() -> int:
    return int(get_setting(PLUGIN, "cancel_cutoff_hours"))


def reminder_hours() -> int:
    return int(get_setting(PLUGIN, "reminder_hours"))


def contact() -> str:
    return str(get_setting(PLUGIN, "contact"))
