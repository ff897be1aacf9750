"""The lists on the organization pages, each a keyset page so a large company never loads at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, func, select, tuple_

from portal.accounts.models import User
from portal.database import db, utcnow
from portal.organizations.invitations import pending_filter
from portal.organizations.models import Invitation, Membership, Organization

PAGE_SIZE = 25
ID_MAX = 2**31 - 1  # ids are 32-bit integers on every supported database
# The route converter for an id in a URL: a larger number is a 404, never a database error.
ID_IN_URL = f"int(max={ID_MAX})"


@dataclass(frozen=True)
class Page:
    """One page of rows and the id to continue after (``None`` on the last page)."""

    rows: list[Any]
    next_after: int | None


def _page(query: Select[Any], key: str, size: int = PAGE_SIZE) -> Page:
    rows = list(db.session.execute(query.limit(size + 1)).all())
    next_after = getattr(rows[size - 1], key) if len(rows) > size else None
    return Page(rows=rows[:size], next_after=next_after)


def members_page(organization_id: int, after: int | None, managers_only: bool = False) -> Page:
    """Members by name, then id; ``after`` is the account id the previous page ended with."""
    query = (
        select(User.id, User.name, User.email, Membership.role, Membership.joined_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id)
        .order_by(User.name, User.id)
    )
    if managers_only:
        query = query.where(Membership.role == "manager")
    if after is not None:
        anchor = db.session.scalar(select(User.name).where(User.id == after))
        if anchor is not None:
            query = query.where(tuple_(User.name, User.id) > tuple_(anchor, after))
    return _page(query, "id")


def member_row(organization_id: int, user_id: int) -> Row[Any] | None:
    """One member of the organization, or ``None`` for anyone else (the view answers 404)."""
    return db.session.execute(
        select(User.id, User.name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id, User.id == user_id)
    ).first()


def pending_invitations_page(organization_id: int, after: int | None) -> Page:
    """Invitations still waiting for an answer, newest first; ``after`` is an invitation id."""
    query = (
        select(Invitation.id, Invitation.email, Invitation.name, Invitation.created_at, Invitation.expires_at)
        .where(Invitation.organization_id == organization_id, *pending_filter(utcnow()))
        .order_by(Invitation.id.desc())
    )
    if after is not None:
        query = query.where(Invitation.id < after)
    return _page(query, "id")


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
    ).order_by(Organization.name, Organization.id)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Organization.name.ilike(pattern, escape="\\"))
    if after is not None:
        anchor = db.session.scalar(select(Organization.name).where(Organization.id == after))
        if anchor is not None:
            query = query.where(tuple_(Organization.name, Organization.id) > tuple_(anchor, after))
    return _page(query, "id")


def page_anchor(raw: str | None) -> int | None:
    """The ``after`` of a page link as an id, or ``None`` when absent or not a plausible id.

    Out-of-range numbers are dropped rather than sent to the database, where they would fail.
    """
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value <= ID_MAX else None
