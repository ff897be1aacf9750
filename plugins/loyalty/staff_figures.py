"""The loyalty programme's numbers on the staff dashboard: points given and spent, and who takes part."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select

from portal.plugin import Figure, db, utcnow, weekly_totals

from .models import Entry

WEEKS = 8
ACTIVE_DAYS = 90


def staff_figures() -> list[Figure]:
    """Points issued and redeemed per week over the last 8 weeks, and the members active lately."""
    now = utcnow()
    issued = weekly_totals(
        Entry.created_at, Entry.points > 0, Entry.kind != "reversed", weeks=WEEKS, total=Entry.points, now=now
    )
    redeemed = weekly_totals(
        Entry.created_at, Entry.kind == "redeemed", weeks=WEEKS, total=-Entry.points, now=now
    )
    active = db.session.scalar(
        select(func.count(distinct(Entry.user_id))).where(
            Entry.created_at >= now - timedelta(days=ACTIVE_DAYS)
        )
    )
    report = url_for("loyalty_staff.report")
    return [
        Figure(
            name="loyalty.issued",
            label=_l("Points issued, last 8 weeks"),
            value=sum(value for _, value in issued),
            series=issued,
            series_label=_l("Points issued per week, last 8 weeks"),
            chart="bar",
            href=report,
            order=30,
        ),
        Figure(
            name="loyalty.redeemed",
            label=_l("Points redeemed, last 8 weeks"),
            value=sum(value for _, value in redeemed),
            series=redeemed,
            series_label=_l("Points redeemed per week, last 8 weeks"),
            chart="bar",
            href=report,
            order=31,
        ),
        Figure(
            name="loyalty.active",
            label=_l("Members active in the last 90 days"),
            value=active or 0,
            href=report,
            order=32,
        ),
    ]
