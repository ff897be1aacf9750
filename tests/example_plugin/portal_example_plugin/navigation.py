"""The links and the dashboard tile the example plugin adds: data only, the core renders them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import NavItem, Widget


def customer_links(signed_in: bool) -> list[NavItem]:
    """A "Notes" link, only for someone signed in, since a visitor has no notes to open."""
    if not signed_in:
        return []
    return [NavItem(label=_l("Notes"), endpoint="example.notes", order=50)]


def staff_links() -> list[NavItem]:
    """The staff overview of notes, for agents and administrators."""
    return [NavItem(label=_l("Notes overview"), endpoint="example.staff_overview", order=50)]


def dashboard_widgets() -> list[Widget]:
    """One tile that loads the customer's note count from its own endpoint."""
    return [Widget(name="example.notes", title=_l("Your notes"), endpoint="example.widget", order=50)]
