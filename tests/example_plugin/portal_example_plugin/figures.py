"""The example plugin's figures on the staff dashboard: how a plugin reports numbers, per viewer's role."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select

from portal.plugin import Figure, User, daily_totals, db

from .models import Note


def staff_figures(user: User) -> list[Figure]:
    """Notes written per day over the last 14 days; for administrators also how many customers keep notes."""
    days = daily_totals(Note.created_at, days=14)
    figures = [
        Figure(
            name="example.notes",
            label=_l("Notes written, last 14 days"),
            value=sum(value for _, value in days),
            series=days,
            series_label=_l("Notes written per day, last 14 days"),
            href=url_for("example.staff_overview"),
            order=90,
        )
    ]
    if user.is_admin:
        keepers = db.session.scalar(select(func.count(distinct(Note.user_id))))
        figures.append(
            Figure(
                name="example.keepers",
                label=_l("Customers keeping notes"),
                value=keepers or 0,
                href=url_for("example.staff_overview"),
                order=91,
            )
        )
    return figures
