"""The approvals pages' lists, each a keyset page: waiting, decided, and one person's own requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import select

from portal.accounts.models import User
from portal.approvals.decisions import undecidable_reason
from portal.approvals.kinds import find_kind
from portal.approvals.models import PENDING, Approval
from portal.paging import Page, keyset_page

PAGE_SIZE = 20
RECENTLY_DECIDED = 5


@dataclass(frozen=True)
class ShownApproval:
    """A request as a page shows it: its kind's label and description, and why it cannot be decided."""

    approval: Approval
    label: Any
    description: str | Markup
    undecidable: str | None


def pending_page(cursor: str | None) -> Page:
    """The requests waiting for a decision, oldest first: the one waiting longest is at the top."""
    query = select(Approval).where(Approval.status == PENDING)
    return keyset_page(query, [Approval.id], cursor=cursor, size=PAGE_SIZE)


def decided_page(cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """The decided requests, the latest decision first."""
    query = select(Approval).where(Approval.decided_at.is_not(None))
    return keyset_page(query, [Approval.decided_at, Approval.id], cursor=cursor, size=size, descending=True)


def requested_page(requester_id: int, cursor: str | None) -> Page:
    """One person's own requests in every state, the newest first."""
    query = select(Approval).where(Approval.requested_by_id == requester_id)
    return keyset_page(query, [Approval.id], cursor=cursor, size=PAGE_SIZE, descending=True)


def shown(approvals: list[Approval], viewer: User) -> list[ShownApproval]:
    """Each request with its kind's words; a kind nobody offers now (plugin off) shows its name and why."""
    rows = []
    for approval in approvals:
        kind = find_kind(approval.kind)
        undecidable = undecidable_reason(approval, viewer) if approval.status == PENDING else None
        if kind is None:
            rows.append(ShownApproval(approval, approval.kind, "", undecidable))
        else:
            rows.append(ShownApproval(approval, kind.label, kind.describe(approval.payload), undecidable))
    return rows
