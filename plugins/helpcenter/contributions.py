"""What the help center adds to the portal's shared pages: its links and the dashboard tile."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import NavItem, User, Widget

from .access import is_staff, visitors_may_read


def customer_links(user: User | None) -> list[NavItem]:
    """ "Help" for a signed-in customer, and for a visitor while the administrator lets visitors read.

    Staff reach the articles from the staff console instead.
    """
    if is_staff(user) or (user is None and not visitors_may_read()):
        return []
    return [NavItem(label=_l("Help"), endpoint="helpcenter.index", order=90, icon="info")]


def staff_links(user: User) -> list[NavItem]:
    """The articles and their categories, for agents and administrators."""
    if not is_staff(user):
        return []
    return [NavItem(label=_l("Help center"), endpoint="helpcenter_staff.index", order=30)]


def dashboard_widgets(user: User | None) -> list[Widget]:
    """The articles customers read most, among those this customer may read."""
    if user is None or is_staff(user):
        return []
    return [
        Widget(
            name="helpcenter.popular",
            title=_l("Popular help articles"),
            endpoint="helpcenter.widget",
            order=90,
        )
    ]
