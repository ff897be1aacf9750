"""The documents plugin's numbers on the staff dashboard: downloads per day and this month's publishing."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.plugin import Figure, db, month_start, period_totals, user_now, utcnow

from .models import Document, Download

DAYS = 14


def staff_figures() -> list[Figure]:
    """Downloads over the last 14 days (by day, against the 14 before) and documents published this month."""
    now = utcnow()
    period = period_totals(Download.created_at, days=DAYS, now=now)
    published = db.session.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.published.is_(True), Document.published_at >= this_month_start(now))
    )
    documents = url_for("documents_staff.staff_index")
    return [
        Figure(
            name="documents.downloads",
            label=_l("Downloads, last 14 days"),
            value=period.total,
            previous=period.previous,
            series=period.series,
            series_label=_l("Downloads per day, last 14 days"),
            href=documents,
            order=40,
        ),
        Figure(
            name="documents.published",
            label=_l("Documents published this month"),
            value=published or 0,
            href=documents,
            order=41,
        ),
    ]


def this_month_start(now: datetime) -> datetime:
    """The first moment (naive UTC, as stored) of the reader's month: their zone and their calendar."""
    first_day = month_start(now)
    zone = user_now(None).tzinfo
    return datetime.combine(first_day, time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
