"""Points that staff hand out: every grant passes one per-role cap, and a refusal says who can do more.

Goodwill, recorded purchases, imported purchases and upward balance adjustments all give a customer
points on a staff member's word, so they all go through ``staff_credit``; a cap that only one form
applied was bypassed through another. Taking points away (a downward adjustment) grants nothing and
is not capped; points given back for a cancelled voucher return what the customer spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from portal.plugin import get_setting

from . import ledger
from .ledger import LedgerError, _
from .models import Entry


class GrantRefusedError(LedgerError):
    """A grant above the granter's cap; the message names who may grant more."""


class Granter(Protocol):
    """Who grants: a staff account (a ``User``) or the server's operator. Only read, never set."""

    @property
    def id(self) -> int | None: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class ServerOperator:
    """Whoever runs a command on the server: an administrator's cap, and no account named on entries."""

    id: None = None
    role: str = "admin"


def grant_limit(role: str) -> int:
    """Most points one grant may give: the administrators' cap for them, the agents' for anyone else."""
    return get_setting("loyalty", "grant_limit_admin" if role == "admin" else "grant_limit_agent")


def refuse_above_cap(points: int, role: str) -> None:
    """Raise ``GrantRefusedError`` when ``points`` is more than one grant by ``role`` may give."""
    limit = grant_limit(role)
    if points <= limit:
        return
    if role == "admin":
        raise GrantRefusedError(
            _(
                "Administrators can grant at most %(limit)d points at once; "
                "raise the limit in the loyalty settings for more.",
                limit=limit,
            )
        )
    raise GrantRefusedError(
        _("Agents can grant at most %(limit)d points at once; ask an administrator for more.", limit=limit)
    )


def staff_credit(
    user_id: int,
    points: object,
    kind: str,
    reason: str,
    granter: Granter,
    source: str,
    ticket_id: int | None = None,
) -> Entry | None:
    """Credit points a staff member grants, within their role's cap; ``None`` if ``source`` was credited."""
    points = ledger.parse_points(points)
    refuse_above_cap(points, granter.role)
    return ledger.credit(
        user_id, points, kind, reason=reason, actor_id=granter.id, source=source, ticket_id=ticket_id
    )
