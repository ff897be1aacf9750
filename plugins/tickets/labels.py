"""The words people see for a ticket's status and priority, kept once for forms, mail and pages.

The templates read them through the ``tickets_status_label`` and ``tickets_priority_label`` globals
(the words) and ``tickets_status_badge`` and ``tickets_priority_badge`` (the words in their coloured
span) the blueprint registers, so a label changed here changes everywhere.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .models import PRIORITIES, STATUSES

STATUS_LABELS = {
    "new": _l("New"),
    "open": _l("Open"),
    "waiting": _l("Waiting on customer"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
# The categories the portal ships with (settings.DEFAULT_CATEGORIES). The stored key stays English;
# an administrator's own categories are shown as they typed them.
CATEGORY_LABELS = {
    "question": _l("Question"),
    "problem": _l("Problem"),
    "complaint": _l("Complaint"),
    "request": _l("Request"),
}


def status_label(status: str) -> str:
    """A status in the reader's language; a value from an older version shows as stored, not as a 500."""
    return str(STATUS_LABELS.get(status, status))


def priority_label(priority: str) -> str:
    """A priority in the reader's language; an unknown value shows as stored."""
    return str(PRIORITY_LABELS.get(priority, priority))


def category_label(category: str) -> str:
    """A category in the reader's language if the portal ships it; else as the administrator wrote it."""
    return str(CATEGORY_LABELS.get(category.strip().lower(), category))


def status_badge(status: str) -> Markup:
    """``{{ tickets_status_badge(status) }}``: the status as pages show it, coloured by its class.

    A function rather than a template macro: a queue shows one per row, and a macro call costs
    several times what this does.
    """
    return Markup('<span class="ticket-status ticket-status-{0}">{1}</span>').format(
        status, status_label(status)
    )


def priority_badge(priority: str) -> Markup:
    """``{{ tickets_priority_badge(priority) }}``: the priority as pages show it, coloured by its class."""
    return Markup('<span class="ticket-priority ticket-priority-{0}">{1}</span>').format(
        priority, priority_label(priority)
    )


def status_choices() -> list[tuple[str, str]]:
    """Every status, in workflow order, for selects and filters."""
    return [(status, status_label(status)) for status in STATUSES]


def priority_choices() -> list[tuple[str, str]]:
    """Every priority, lowest first, for selects and filters."""
    return [(priority, priority_label(priority)) for priority in PRIORITIES]
