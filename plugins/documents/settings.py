"""The numbers and lists an administrator sets for documents (/staff/settings/documents)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import Setting, get_setting

DEFAULT_CATEGORIES = "invoice,contract,manual,statement"
# The categories the portal ships with, in the reader's language; the stored key stays English.
CATEGORY_LABELS = {
    "invoice": _l("Invoice"),
    "contract": _l("Contract"),
    "manual": _l("Manual"),
    "statement": _l("Statement"),
}


def plugin_settings() -> list[Setting]:
    return [
        Setting(
            key="categories",
            label=_l("Categories"),
            type="text",
            default=DEFAULT_CATEGORIES,
            max_length=400,
            help=_l("Comma-separated, for example: invoice, contract, manual, statement."),
        ),
        Setting(
            key="max_upload_mb",
            label=_l("Largest file (MB)"),
            type="integer",
            default=20,
            min=1,
            max=30,
            help=_l("Uploads larger than this are refused."),
        ),
        Setting(
            key="link_days",
            label=_l("Email links valid for (days)"),
            type="integer",
            default=14,
            min=1,
            max=90,
        ),
        Setting(
            key="new_days",
            label=_l("Shown as new on the dashboard for (days)"),
            type="integer",
            default=30,
            min=1,
            max=365,
        ),
    ]


def category_label(name: str) -> str:
    """A category as people read it: translated if the portal ships it, else as the administrator wrote it."""
    label = CATEGORY_LABELS.get(name)
    return str(label) if label is not None else name.capitalize()


def categories() -> list[str]:
    raw = str(get_setting("documents", "categories"))
    seen: list[str] = []
    for part in raw.split(","):
        name = part.strip().lower()[:40]
        if name and name not in seen:
            seen.append(name)
    return seen or DEFAULT_CATEGORIES.split(",")
