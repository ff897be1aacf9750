"""The numbers an administrator sets for the loyalty programme, at /staff/settings/loyalty."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from portal.plugin import Setting, translated_settings

MAX_POINTS = 1_000_000


def _points(key: str, label: object, default: int, help: object = "") -> Setting:
    return Setting(key=key, label=label, type="integer", default=default, min=0, max=MAX_POINTS, help=help)


def plugin_settings() -> list[Setting]:
    """Every setting of the plugin, in the order the settings page shows them.

    Points for other plugins' events are earning rules (``earning_rules``), not settings: any declared
    event can earn, with a cap, so they have their own page.
    """
    grants = _l("For goodwill, recorded and imported purchases and balance adjustments alike.")
    return translated_settings(_declared(grants), BENEFITS)


BENEFITS = [f"tier_{code}_benefits" for code in ("bronze", "silver", "gold", "platinum")]


def _declared(grants: object) -> list[Setting]:
    return [
        Setting(
            key="points_per_unit",
            label=_l("Points per currency unit spent"),
            type="decimal",
            default=Decimal("1"),
            min=0,
            max=1000,
            help=_l("Multiplied by the customer's tier multiplier when a purchase is recorded."),
        ),
        _points("grant_limit_agent", _l("Most points an agent may grant at once"), 500, grants),
        _points("grant_limit_admin", _l("Most points an administrator may grant at once"), 5000, grants),
        Setting(
            key="expiry_months",
            label=_l("Points expire after (months)"),
            type="integer",
            default=24,
            min=0,
            max=240,
            help=_l("0 means points never expire."),
        ),
        Setting(
            key="expiry_reminder_days",
            label=_l("Remind customers this many days before points expire"),
            type="integer",
            default=30,
            min=0,
            max=365,
        ),
        _points("tier_silver_threshold", _l("Silver: points earned in 12 months"), 500),
        _points("tier_gold_threshold", _l("Gold: points earned in 12 months"), 2000),
        _points("tier_platinum_threshold", _l("Platinum: points earned in 12 months"), 5000),
        Setting(
            key="tier_silver_multiplier",
            label=_l("Silver: points multiplier"),
            type="decimal",
            default=Decimal("1.25"),
            min=1,
            max=10,
        ),
        Setting(
            key="tier_gold_multiplier",
            label=_l("Gold: points multiplier"),
            type="decimal",
            default=Decimal("1.5"),
            min=1,
            max=10,
        ),
        Setting(
            key="tier_platinum_multiplier",
            label=_l("Platinum: points multiplier"),
            type="decimal",
            default=Decimal("2"),
            min=1,
            max=10,
        ),
        Setting(
            key="tier_bronze_benefits",
            label=_l("Bronze: benefits"),
            type="text",
            max_length=300,
            default=_l("Collect points on every purchase."),
        ),
        Setting(
            key="tier_silver_benefits",
            label=_l("Silver: benefits"),
            type="text",
            max_length=300,
            default=_l("More points per purchase and early access to offers."),
        ),
        Setting(
            key="tier_gold_benefits",
            label=_l("Gold: benefits"),
            type="text",
            max_length=300,
            default=_l("Even more points, priority support."),
        ),
        Setting(
            key="tier_platinum_benefits",
            label=_l("Platinum: benefits"),
            type="text",
            max_length=300,
            default=_l("Double points, priority support and a personal contact."),
        ),
    ]
