"""What an administrator sets for tickets at /staff/settings/tickets."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import Setting, get_setting

from .alert_recipients import OWNERS_MAX_LENGTH, check_category_owners
from .models import CATEGORY_MAX, PRIORITIES

DEFAULT_CATEGORIES = "question, problem, complaint, request"
APOLOGY_MESSAGE_MAX = 4000  # the apology template; the message made from it is cut to a message's limit
# Hours to the first staff reply and to resolution, per priority.
DEFAULT_TARGETS = {
    "low": (48, 240),
    "normal": (24, 120),
    "high": (8, 48),
    "urgent": (2, 24),
}


def plugin_settings() -> list[Setting]:
    settings = [
        Setting(
            key="categories",
            label=_l("Ticket categories"),
            type="text",
            default=DEFAULT_CATEGORIES,
            max_length=400,
            help=_l("Comma-separated; customers choose one when they open a ticket."),
        ),
        Setting(
            key="reopen_days",
            label=_l("Customers may reopen a ticket within (days)"),
            type="integer",
            default=14,
            min=0,
            max=365,
        ),
        Setting(
            key="autoclose_days",
            label=_l("Close resolved tickets after (days)"),
            type="integer",
            default=7,
            min=1,
            max=365,
        ),
        Setting(
            key="attachment_max_mb",
            label=_l("Largest attachment (MB)"),
            type="integer",
            default=5,
            min=1,
            max=50,
        ),
        Setting(
            key="attachment_quota_mb",
            label=_l("Attachment space per customer (MB)"),
            type="integer",
            default=100,
            min=1,
            max=100000,
            help=_l("All the files a customer has sent with their tickets, together."),
        ),
        Setting(
            key="tickets_per_hour",
            label=_l("New tickets a customer may open per hour"),
            type="integer",
            default=10,
            min=1,
            max=1000,
        ),
        Setting(
            key="attachment_types",
            label=_l("Attachment types accepted"),
            type="text",
            default="png, jpeg, gif, pdf, txt",
            max_length=100,
            help=_l("Comma-separated, from: png, jpeg, gif, pdf, txt. Checked by content, not by name."),
        ),
        Setting(
            key="auto_reply",
            label=_l("Confirm each new ticket to the customer by email"),
            type="boolean",
            default=True,
            help=_l("The mail gives the ticket number, when to expect an answer and how to reply by email."),
        ),
        Setting(
            key="category_owners",
            label=_l("Category owners"),
            type="text",
            default="",
            max_length=OWNERS_MAX_LENGTH,
            multiline=True,
            check=_check_category_owners,
            help=_l(
                "One line per category, then a colon and the staff addresses that hear of its new tickets: "
                "“billing: ava@example.com, sam@example.com”. Categories without a line go to every agent."
            ),
        ),
        Setting(
            key="target_warning_hours",
            label=_l("Warn the assignee of a response target (hours before)"),
            type="integer",
            default=2,
            min=1,
            max=168,
            help=_l("Unassigned tickets warn the agents who hear of new tickets in their category."),
        ),
        Setting(
            key="apology_category",
            label=_l("Category whose resolved tickets offer the apology"),
            type="text",
            default="complaint",
            max_length=CATEGORY_MAX,
            help=_l(
                "Once a ticket in this category is resolved, its staff page offers an apology: a message, "
                "and what other plugins add (goodwill points, a follow-up survey). Keep it the same as "
                "the insights plugin's complaint category."
            ),
        ),
        Setting(
            key="apology_message",
            label=_l("Apology message to start from"),
            type="text",
            default="",
            max_length=APOLOGY_MESSAGE_MAX,
            multiline=True,
            help=_l(
                "Empty: the portal's own text, in each customer's language. {name} is replaced by the "
                "customer's name, {number} by the ticket's number, {subject} by its subject."
            ),
        ),
    ]
    for priority in PRIORITIES:
        first, resolution = DEFAULT_TARGETS[priority]
        settings.append(
            Setting(
                key=f"first_response_hours_{priority}",
                label=_l("First response within (hours), priority %(priority)s", priority=priority),
                type="integer",
                default=first,
                min=1,
                max=8760,
            )
        )
        settings.append(
            Setting(
                key=f"resolution_hours_{priority}",
                label=_l("Resolution within (hours), priority %(priority)s", priority=priority),
                type="integer",
                default=resolution,
                min=1,
                max=8760,
            )
        )
    return settings


def _check_category_owners(text: str) -> None:
    check_category_owners(text, categories())


def categories() -> list[str]:
    """The categories on offer, in the administrator's order, without blanks or repeats."""
    raw = str(get_setting("tickets", "categories"))
    seen: list[str] = []
    for part in raw.split(","):
        name = part.strip()[:40]
        if name and name not in seen:
            seen.append(name)
    return seen or [c.strip() for c in DEFAULT_CATEGORIES.split(",")]


def target_hours(priority: str) -> tuple[int, int]:
    return (
        int(get_setting("tickets", f"first_response_hours_{priority}")),
        int(get_setting("tickets", f"resolution_hours_{priority}")),
    )
