"""The core's own panels on a customer's 360° page: their organization and what they have done."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.contributions import Panel
from portal.database import db
from portal.organizations.models import Membership, Organization
from portal.staff.activity import EMAIL, EVENTS, NOTIFICATIONS
from portal.staff.history import CHANNELS, history_page

TIMELINE_PAGE_SIZE = 20
# The history's filter, in the order it offers them: everything, then one channel.
CHANNEL_CHOICES = (
    ("", _l("Everything")),
    (EVENTS, _l("Activity")),
    (NOTIFICATIONS, _l("Portal notices")),
    (EMAIL, _l("Email")),
)


def organization_panel(customer: User, viewer: User) -> list[Panel]:
    """The organization or household the person belongs to: whom they buy for, or who buys for them."""
    row = db.session.execute(
        select(Organization.id, Organization.name, Organization.kind, Membership.role, Membership.joined_at)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == customer.id)
    ).first()
    return [
        Panel(
            name="organization",
            title=_l("Organization"),
            template="staff/customers/_organization.html",
            context={"membership": row},
            order=20,
        )
    ]


def timeline_panel(customer: User, viewer: User) -> list[Panel]:
    """Everything the person did, was told in the portal and was emailed, newest first, in one list.

    ``timeline_channel`` narrows it to one channel; a value not on the list shows why instead of
    entries, so a mistyped link explains itself.
    """
    channel = request.args.get("timeline_channel", "")
    known = channel == "" or channel in CHANNELS
    page = (
        history_page(
            customer.id,
            request.args.get("timeline_before"),
            channels=[channel] if channel else CHANNELS,
            size=TIMELINE_PAGE_SIZE,
        )
        if known
        else None
    )
    return [
        Panel(
            name="timeline",
            title=_l("Activity"),
            template="staff/customers/_timeline.html",
            context={
                "events": page.entries if page else [],
                "older": page.older if page else None,
                "paged": bool(request.args.get("timeline_before")),
                "person": customer,
                "channel": channel if known else "",
                "bad_channel": not known,
                "channels": CHANNEL_CHOICES,
            },
            order=900,
            wide=True,
        )
    ]
