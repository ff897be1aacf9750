"""What the documents plugin adds to the portal's shared pages: links, a tile, the stylesheet, notices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import NavItem, NotificationType, User, Widget


def customer_links(user: User | None) -> list[NavItem]:
    """ "Documents" for anyone signed in; a visitor has none to see."""
    if user is None:
        return []
    return [NavItem(label=_l("Documents"), endpoint="documents.index", order=40, icon="file-text")]


def staff_links(user: User) -> list[NavItem]:
    """Documents for all staff; the templates behind personalised PDFs only for administrators."""
    items = [NavItem(label=_l("Documents"), endpoint="documents_staff.staff_index", order=40)]
    if user.is_admin:
        items.append(
            NavItem(label=_l("Document templates"), endpoint="documents_staff.templates_index", order=41)
        )
    return items


def dashboard_widgets() -> list[Widget]:
    """The tile of new documents the customer has not opened yet."""
    return [Widget(name="documents.new", title=_l("New documents"), endpoint="documents.widget", order=40)]


def notification_types() -> list[NotificationType]:
    """The one thing documents tells a customer: something was published for them."""
    return [
        NotificationType(
            kind="documents.published",
            label=_l("New documents"),
            description=_l("When a document is published for you."),
        )
    ]
