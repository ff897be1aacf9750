"""The help center's number on the staff dashboard: how often suggested articles answered the question."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.plugin import Figure, utcnow

from .deflection import deflection_figures

DAYS = 30


def staff_figures() -> list[Figure]:
    """The deflection rate of the last 30 days, beside the 30 days before, leading to the page behind it.

    The rate is the share of decided readings from the ticket form that answered the question
    (``deflection``); with none decided yet it is shown as not known rather than as 0%.
    """
    now = utcnow()
    recent = deflection_figures(now - timedelta(days=DAYS))
    before = deflection_figures(now - timedelta(days=2 * DAYS), now - timedelta(days=DAYS))
    return [
        Figure(
            name="helpcenter.deflection",
            label=_l("Questions answered by the help center (last 30 days)"),
            value=_percent(recent.rate),
            previous=_percent(before.rate),
            unit=_l("%(value)s%%"),
            href=url_for("helpcenter_staff.deflection"),
            order=30,
        )
    ]


def _percent(rate: float | None) -> float | None:
    return round(rate * 100) if rate is not None else None
