"""The lists on the organization pages, each a keyset page so a large company never loads at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from portal.accounts.models import User
from portal.database import db, utcnow
from portal.organizations.invitations import pending_filter
from portal.organizations.models import Invitation, Membership, Organization
from portal.paging import Page as KeysetPage
from portal.paging import encode_cursor, keyset_page, page_link_id

PAGE_SIZE = 25


@dataclass(frozen=True)
class Anchor:
    """Where a page link points: a row's id, and whether the page wanted ends just before that row."""

    row_id: int
    backwards: bool = False


@dataclass(frozen=True)
class Page:
    """One page of rows, the id to continue after and the id the previous page ends before.

    Either is ``None`` when there is no such page.
    """

    rows: list[Any]
    next_after: int | None
    previous_before: int | None = None


def page_anchor(args: Mapping[str, str], after: str = "after", before: str = "before") -> Anchor | None:
    """The anchor of a page link (``?after=12`` onwards, ``?before=12`` back), ``None`` for the first page.

    Links name row ids only; one that cannot name an id means the first page, as paging.page_link_id
    says.
    """
    row_id = page_link_id(args.get(after))
    if row_id is not None:
        return Anchor(row_id)
    row_id = page_link_id(args.get(before))
    return None if row_id is None else Anchor(row_id, backwards=True)


def _page(page: KeysetPage) -> Page:
    """The organization pages' links from a keyset page: the ids of its first and last rows."""
    return Page(
        rows=page.items,
        next_after=page.items[-1].id if page.next_cursor else None,
        previous_before=page.items[0].id if page.previous_cursor else None,
    )


def _by_name_page(
    query: Select[Any],
    name: InstrumentedAttribute[str],
    key: InstrumentedAttribute[int],
    anchor: Anchor | None,
) -> Page:
    """A page by name, then id, next to the row the anchor names.

    The link names only the id, never the name: a person's name has no place in URLs and the logs
    that keep them. So the name is looked up again, and a row gone since means the first page.
    """
    anchor_name = None if anchor is None else db.session.scalar(select(name).where(key == anchor.row_id))
    cursor = None
    if anchor is not None and anchor_name is not None:
        cursor = encode_cursor([anchor_name, anchor.row_id], backwards=anchor.backwards)
    return _page(keyset_page(query, [name, key], cursor=cursor, size=PAGE_SIZE, scalars=False))


def members_page(organization_id: int, anchor: Anchor | None, managers_only: bool = False) -> Page:
    """Members by name, then id; ``anchor`` is the member a page link starts from."""
    query = (
        select(User.id, User.name, User.email, Membership.role, Membership.joined_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id)
    )
    if managers_only:
        query = query.where(Membership.role == "manager")
    return _by_name_page(query, User.name, User.id, anchor)


def member_row(organization_id: int, user_id: int) -> Row[Any] | None:
    """One member of the organization, or ``None`` for anyone else (the view answers 404)."""
    return db.session.execute(
        select(User.id, User.name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id, User.id == user_id)
    ).first()


def pending_invitations_page(organization_id: int, anchor: Anchor | None) -> Page:
    """Invitations still waiting for an answer, newest first; ``anchor`` names an invitation."""
    query = select(
        Invitation.id, Invitation.email, Invitation.name, Invitation.created_at, Invitation.expires_at
    ).where(Invitation.organization_id == organization_id, *pending_filter(utcnow()))
    cursor = None if anchor is None else encode_cursor([anchor.row_id], backwards=anchor.backwards)
    page = keyset_page(query, [Invitation.id], cursor=cursor, size=PAGE_SIZE, descending=True, scalars=False)
    return _page(page)


def organizations_page(search: str, anchor: Anchor | None) -> Page:
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
    return _by_name_page(query, Organization.name, Organization.id, anchor)
