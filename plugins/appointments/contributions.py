"""What the appointments plugin adds to shared pages and tasks: links, the tile, the reminder task."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from portal.plugin import NavItem, ScheduledTask, User, Widget

from . import reminders

REMINDER_EVERY = timedelta(minutes=5)


def customer_links(user: User | None) -> list[NavItem]:
    """ "Appointments" for a signed-in customer; staff offer slots from the console instead."""
    if user is None or user.is_staff:
        return []
    return [NavItem(label=_l("Appointments"), endpoint="appointments.index", order=50, icon="calendar")]


def staff_links() -> list[NavItem]:
    return [NavItem(label=_l("Appointments"), endpoint="appointments_staff.index", order=50)]


def dashboard_widgets(user: User | None) -> list[Widget]:
    """The customer's next appointment."""
    if user is None or user.is_staff:
        return []
    return [
        Widget(
            name="appointments.next", title=_l("Next appointment"), endpoint="appointments.widget", order=50
        )
    ]


def scheduled_tasks() -> list[ScheduledTask]:
    """Reminders go out every few minutes, each once."""
    return [
        ScheduledTask(name="appointments.remind", every=REMINDER_EVERY, function=reminders.send_due_reminders)
    ]
