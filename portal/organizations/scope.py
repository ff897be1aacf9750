"""The principal's scope: whose data the signed-in customer may see, decided in one place.

Plugins never work this out themselves. They call ``scope_for(current_user)`` and put the selects it
returns into their own queries, so the rule "a manager sees what members share, a member sees their
own" is written once and changes once.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import Select, bindparam, event, false, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.database import db, read_prepared
from portal.organizations.models import Membership
from portal.unit_of_work import forget, remembered

_SCOPES = "portal_organization_scopes"  # the unit of work's scopes, by user id


@dataclass(frozen=True)
class Scope:
    """Whose shared data a signed-in person may see: their own, and a manager's members'.

    ``organization_id`` is ``None`` for a customer in no organization and for staff. The selects are
    evaluated inside the plugin's query, so they always reflect the memberships as they are now.
    """

    user_id: int
    organization_id: int | None = None
    is_manager: bool = False

    def customer_ids(self) -> Select[tuple[int]]:
        """The customers whose organization-shared data this person may see, themselves included.

        A manager: every member of the organization. A member, or a customer in no organization:
        only themselves. Use it for data that belongs to the organization by nature:
        ``.where(Ticket.customer_id.in_(scope.customer_ids()))``.
        """
        if self.is_manager and self.organization_id is not None:
            return select(Membership.user_id).where(Membership.organization_id == self.organization_id)
        return select(User.id).where(User.id == self.user_id)

    def shared_customer_ids(self) -> Select[tuple[int]]:
        """The other customers whose *shared* rows this person may see; empty unless a manager.

        For data each customer chooses to share, a row is visible when it is one's own or when it is
        marked shared and its owner is in this select.
        """
        if self.is_manager and self.organization_id is not None:
            return select(Membership.user_id).where(
                Membership.organization_id == self.organization_id, Membership.user_id != self.user_id
            )
        return select(User.id).where(false())

    def can_see(self, customer_id: int) -> bool:
        """Whether this person may see ``customer_id``'s shared data (one indexed lookup at most)."""
        if customer_id == self.user_id:
            return True
        if not self.is_manager or self.organization_id is None:
            return False
        found = db.session.scalar(
            select(Membership.user_id).where(
                Membership.organization_id == self.organization_id, Membership.user_id == customer_id
            )
        )
        return found is not None


def scope_for(user: User) -> Scope:
    """The scope of ``user``, read once per unit of work so a removed member drops out at the next one.

    A page asks several times (its list, its rights on one ticket, its audience), and each ask was a
    query. A membership the unit itself changes is read again at once (see ``_memberships_changed``).
    Staff get a scope of just themselves: they reach customers' data through staff views, never
    through a customer's scope.
    """
    if user.role != "customer":
        return Scope(user_id=user.id)
    known: dict[int, Scope] = remembered(_SCOPES, dict)
    if user.id not in known:
        known[user.id] = _read_scope(user.id)
    return known[user.id]


_MEMBERSHIPS = Membership.__table__.c
_MEMBERSHIP_OF = select(_MEMBERSHIPS.organization_id, _MEMBERSHIPS.role).where(
    _MEMBERSHIPS.user_id == bindparam("user_id")
)


def _read_scope(user_id: int) -> Scope:
    membership = read_prepared(_MEMBERSHIP_OF, user_id=user_id).first()
    if membership is None:
        return Scope(user_id=user_id)
    return Scope(
        user_id=user_id,
        organization_id=membership.organization_id,
        is_manager=membership.role == "manager",
    )


@event.listens_for(Session, "after_flush")
def _memberships_changed(session: Session, _context: Any) -> None:
    # Whoever joins, leaves or is promoted, through any code path: every scope the unit read may be
    # stale. Rolled back, the change is forgotten again (unit_of_work.forget).
    if any(isinstance(item, Membership) for item in chain(session.new, session.dirty, session.deleted)):
        forget(_SCOPES)
