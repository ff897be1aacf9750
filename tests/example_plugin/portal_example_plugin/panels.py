"""The panel the example plugin adds to a customer's page in the staff console."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.plugin import Panel, User, db, get_setting

from .models import Note


def customer_panels(customer: User) -> list[Panel]:
    """The customer's note count and a few of their notes, as many and in the order set by an admin."""
    newest_first = get_setting("example", "panel_order") == "newest"
    query = (
        select(Note)
        .where(Note.user_id == customer.id)
        .order_by(Note.id.desc() if newest_first else Note.id)
        .limit(get_setting("example", "panel_notes"))
    )
    count = db.session.scalar(select(func.count()).select_from(Note).where(Note.user_id == customer.id))
    return [
        Panel(
            name="example.notes",
            title=_l("Notes"),
            template="example/customer_panel.html",
            context={
                "notes": db.session.scalars(query).all(),
                "count": count or 0,
                "show_dates": get_setting("example", "show_dates"),
            },
            order=50,
        )
    ]
