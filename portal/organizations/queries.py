"""The lists on the organization pages, each a keyset page so a large company never loads at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from portal.accounts.models import User
from portal.database import db, utcnow
from portal.organizations.invitations import pending_filter
from portal.organizations.models import Invitation, Membership, Organization
from portal.paging import encode_cursor, keyset_page

PAGE_SIZE = 25
ID_MAX = 2**31 - 1  # ids are 32-bit integers on every supported database
# The route converter for an id in a URL: a larger number is a 404, never a database error.
ID_IN_URL = f"int(max={ID_MAX})"


@dataclass(frozen=True)
class Page:
    """One page of rows and the id to continue after (``None`` on the last page)."""

    rows: list[Any]
    next_after: int | None


def _by_name_page(
    query: Select[Any], name: InstrumentedAttribute[str], key: InstrumentedAttribute[int], after: int | None
) -> Page:
    """A page by name, then id, after the row with id ``after``.

    The link names only the id, never the name: a person's name has no place in URLs and the logs
    that keep them. So the name is looked up again, and a row gone since means the first page.
    """
    anchor = None if after is None else db.session.scalar(select(name).where(key == after))
    cursor = None if anchor is None else encode_cursor([anchor, after])
    page = keyset_page(query, [name, key], cursor=cursor, size=PAGE_SIZE, scalars=False)
    return Page(rows=page.items, next_after=page.items[-1].id if page.next_cursor else None)


def members_page(organization_id: int, after: int | None, managers_only: bool = False) -> Page:
    """Members by name, then id; ``after`` is the account id the previous page ended with."""
    query = (
        select(User.id, User.name, User.email, Membership.role, Membership.joined_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id)
    )
    if managers_only:
        query = query.where(Membership.role == "manager")
    return _by_name_page(query, User.name, User.id, after)


def member_row(organization_id: int, user_id: int) -> Row[Any] | None:
    """One member of the organization, or ``None`` for anyone else (the view answers 404)."""
    return db.session.execute(
        select(User.id, User.name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id, User.id == user_id)
    ).first()


def pending_invitations_page(organization_id: int, after: int | None) -> Page:
    """Invitations still waiting for an answer, newest first; ``after`` is an invitation id."""
    query = select(
        Invitation.id, Invitation.email, Invitation.name, Invitation.created_at, Invitation.expires_at
    ).where(Invitation.organization_id == organization_id, *pending_filter(utcnow()))
    cursor = None if after is None else str(after)
    page = keyset_page(query, [Invitation.id], cursor=cursor, size=PAGE_SIZE, descending=True, scalars=False)
    return Page(rows=page.items, next_after=page.items[-1].id if page.next_cursor else None)


def organizations_page(search: str, after: int | None) -> Page:
    """Organizations by name for the staff list, optionally those whose name contains ``search``."""
    members = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.organization_id == Organization.id)
        .scalar_subquery()
    )
    query = select(
        Organization.id,
        Organization.name,
        Organization.kind,
        Organization.created_at,
        members.label("member_count"),
    )
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Organization.name.ilike(pattern, escape="\\"))
    return _by_name_page(query, Organization.name, Organization.id, after)


def page_anchor(raw: str | None) -> int | None:
    """The ``after`` of a page link as an id, or ``None`` when absent or not a plausible id.

    Out-of-range numbers are dropped rather than sent to the database, where they would fail.
    """
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value <= ID_MAX else None
