"""The core's own panels on a customer's 360° page: their organization and what they have done."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.contributions import Panel
from portal.database import db
from portal.events import StoredEvent
from portal.organizations.models import Membership, Organization
from portal.paging import keyset_page
from portal.staff.activity import activities

TIMELINE_PAGE_SIZE = 20


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
    """Everything the person did or was told, newest first, from the events every plugin emits."""
    page = keyset_page(
        select(StoredEvent).where(StoredEvent.customer_id == customer.id),
        [StoredEvent.id],
        cursor=request.args.get("timeline_before"),
        size=TIMELINE_PAGE_SIZE,
        descending=True,
    )
    return [
        Panel(
            name="timeline",
            title=_l("Activity"),
            template="staff/customers/_timeline.html",
            context={"events": activities(page.items), "older": page.next_cursor, "person": customer},
            order=900,
            wide=True,
        )
    ]
