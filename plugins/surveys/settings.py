"""The settings an administrator sets at /staff/settings/surveys."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import Setting, get_setting

SETTINGS = [
    Setting(
        key="wait_days",
        label=_l("Waiting period between surveys (days)"),
        type="integer",
        default=30,
        min=0,
        max=365,
        help=_l("Nobody is asked to answer a survey more often than once in this many days."),
    ),
    Setting(
        key="reminder_days",
        label=_l("Remind after (days)"),
        type="integer",
        default=3,
        min=1,
        max=60,
        help=_l("An unanswered invitation is followed by a reminder after this many days."),
    ),
    Setting(
        key="max_reminders",
        label=_l("Reminders per invitation"),
        type="integer",
        default=1,
        min=0,
        max=5,
        help=_l("Reminders stop once a customer has ignored an invitation this many times."),
    ),
    Setting(
        key="link_days",
        label=_l("Invitation links valid for (days)"),
        type="integer",
        default=30,
        min=1,
        max=365,
    ),
]


def plugin_settings() -> list[Setting]:
    return SETTINGS


def setting(key: str) -> int:
    return int(get_setting("surveys", key))
