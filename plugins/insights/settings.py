"""The rule set's numbers, which an administrator adjusts at /staff/settings/insights.

Each is a threshold of one rule in rules.py; /staff/insights/rules writes the rules out in words
with the numbers in force, so staff can see why a customer is where they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.plugin import Setting, get_setting

PLUGIN = "insights"


def plugin_settings() -> list[Setting]:
    """The thresholds of the stage, grade and risk rules."""
    return [
        Setting(
            key="window_days",
            label=_l("Look back over (days)"),
            type="integer",
            default=365,
            min=30,
            max=1825,
            help=_l("Purchases and points count towards the stage and the grade only within this window."),
        ),
        Setting(
            key="expansion_purchases",
            label=_l("Purchases that show a growing relationship"),
            type="integer",
            default=3,
            min=1,
            max=1000,
            help=_l(
                "With this many purchases in the window, or a move up a loyalty tier, "
                "a customer is expanding."
            ),
        ),
        Setting(
            key="commitment_days",
            label=_l("Customer for at least (days) to be committed"),
            type="integer",
            default=365,
            min=30,
            max=3650,
        ),
        Setting(
            key="grade_a_share",
            label=_l("Grade A: the customers who bring this share of the value (%)"),
            type="integer",
            default=80,
            min=1,
            max=99,
        ),
        Setting(
            key="grade_b_share",
            label=_l("Grade B: the customers who bring the value up to this share (%)"),
            type="integer",
            default=95,
            min=2,
            max=100,
        ),
        Setting(
            key="silence_days",
            label=_l("Flag a customer silent after (days without a visit)"),
            type="integer",
            default=90,
            min=7,
            max=1825,
        ),
        Setting(
            key="complaint_category",
            label=_l("The ticket category of complaints"),
            type="text",
            default="complaint",
            max_length=50,
            help=_l("Tickets opened in this category count as complaints until they are resolved."),
        ),
        Setting(
            key="complaint_target_days",
            label=_l("A complaint should be resolved within (days)"),
            type="integer",
            default=7,
            min=1,
            max=365,
        ),
        Setting(
            key="overdue_complaints",
            label=_l("Flag a customer with this many complaints unresolved past that time"),
            type="integer",
            default=2,
            min=1,
            max=100,
        ),
        Setting(
            key="low_rating",
            label=_l("Flag a customer who rated a ticket at or below (1–5)"),
            type="integer",
            default=2,
            min=1,
            max=4,
            help=_l("Looked at for ratings given within the silence period."),
        ),
    ]


@dataclass(frozen=True)
class Thresholds:
    """The numbers in force, read once per computation so a run uses one consistent rule set."""

    window_days: int
    expansion_purchases: int
    commitment_days: int
    grade_a_share: int
    grade_b_share: int
    silence_days: int
    complaint_target_days: int
    overdue_complaints: int
    low_rating: int


def complaint_category() -> str:
    """The category whose tickets are complaints, as the tickets' events write it (lower case)."""
    return str(get_setting(PLUGIN, "complaint_category")).strip().lower()


def thresholds() -> Thresholds:
    """The administrator's numbers now (the defaults where they changed none)."""
    return Thresholds(**{name: int(get_setting(PLUGIN, name)) for name in Thresholds.__dataclass_fields__})
