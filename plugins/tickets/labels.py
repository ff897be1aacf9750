"""The words people see for a ticket's status and priority, kept once for forms, mail and pages.

The templates read them through the ``tickets_status_label`` and ``tickets_priority_label`` globals
(the words) and ``tickets_status_badge`` and ``tickets_priority_badge`` (the words in their coloured
span) the blueprint registers, so a label changed here changes everywhere.

A queue shows a status, a priority and a category on every row. The words of one language never
change while the app runs, so each table is translated once per message catalogue (one per app and
language) and its badges are built once with it, rather than looked up and formatted for every row.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from babel.support import NullTranslations
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import current_translations

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


class LabelTable:
    """One table of labels (stored value to lazy words) in the reader's language.

    Kept per message catalogue, which the app keeps for the life of the process; a weak key lets the
    catalogue of an app that is gone (tests make many) be dropped with its words.
    """

    def __init__(self, labels: dict[str, LazyString]) -> None:
        self.labels = labels
        self._words: WeakKeyDictionary[NullTranslations, dict[str, str]] = WeakKeyDictionary()

    def words(self) -> dict[str, str]:
        """Each stored value's label in the reader's language, translated once per catalogue."""
        catalogue = current_translations()
        words = self._words.get(catalogue)
        if words is None:
            words = self._words[catalogue] = {value: str(label) for value, label in self.labels.items()}
        return words


class BadgeTable(LabelTable):
    """A label table whose values are also shown as badges: the label in a span coloured by its class."""

    def __init__(self, labels: dict[str, LazyString], badge: Markup) -> None:
        super().__init__(labels)
        self.badge = badge
        self._badges: WeakKeyDictionary[NullTranslations, dict[str, Markup]] = WeakKeyDictionary()

    def badges(self) -> dict[str, Markup]:
        """Each stored value's badge in the reader's language, built once per catalogue."""
        catalogue = current_translations()
        badges = self._badges.get(catalogue)
        if badges is None:
            badges = self._badges[catalogue] = {
                value: self.badge.format(value, label) for value, label in self.words().items()
            }
        return badges

    def badge_of(self, value: str) -> Markup:
        """The badge of ``value``; one from an older version shows its stored value."""
        badge = self.badges().get(value)
        return badge if badge is not None else self.badge.format(value, value)


STATUS_TABLE = BadgeTable(STATUS_LABELS, Markup('<span class="ticket-status ticket-status-{0}">{1}</span>'))
PRIORITY_TABLE = BadgeTable(
    PRIORITY_LABELS, Markup('<span class="ticket-priority ticket-priority-{0}">{1}</span>')
)
CATEGORY_TABLE = LabelTable(CATEGORY_LABELS)


def status_label(status: str) -> str:
    """A status in the reader's language; a value from an older version shows as stored, not as a 500."""
    return STATUS_TABLE.words().get(status, status)


def priority_label(priority: str) -> str:
    """A priority in the reader's language; an unknown value shows as stored."""
    return PRIORITY_TABLE.words().get(priority, priority)


def category_label(category: str) -> str:
    """A category in the reader's language if the portal ships it; else as the administrator wrote it."""
    return CATEGORY_TABLE.words().get(category.strip().lower(), category)


def status_badge(status: str) -> Markup:
    """``{{ tickets_status_badge(status) }}``: the status as pages show it, coloured by its class.

    A function rather than a template macro: a queue shows one per row, and a macro call costs
    several times what this does.
    """
    return STATUS_TABLE.badge_of(status)


def priority_badge(priority: str) -> Markup:
    """``{{ tickets_priority_badge(priority) }}``: the priority as pages show it, coloured by its class."""
    return PRIORITY_TABLE.badge_of(priority)


def status_choices() -> list[tuple[str, str]]:
    """Every status, in workflow order, for selects and filters."""
    return [(status, status_label(status)) for status in STATUSES]


def priority_choices() -> list[tuple[str, str]]:
    """Every priority, lowest first, for selects and filters."""
    return [(priority, priority_label(priority)) for priority in PRIORITIES]
