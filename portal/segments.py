"""Segments: named groups of customers that documents, surveys and offers can be aimed at.

A segment is offered by whoever knows the group: the core offers "all customers" and one segment per
organization; a plugin offers its own through the ``portal_segments`` hook (the loyalty plugin's
"tier: Gold", say). Whoever targets an audience stores only the segment's key and asks the core
about it, so it never imports the plugin that defines the group. Membership is always a query: no
segment is ever loaded into Python to ask whether one customer is in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, false, literal, or_, select
from sqlalchemy.orm import QueryableAttribute

from portal.accounts.models import User
from portal.bidi import isolated_text
from portal.converters import ID_MAX
from portal.database import db
from portal.organizations.models import Membership, Organization
from portal.organizations.scope import scope_for
from portal.plugin_manager import PluginError, plugin_host

ALL_CUSTOMERS = "all-customers"
ORGANIZATION_PREFIX = "organization:"


@dataclass(frozen=True)
class Segment:
    """A named group of customers.

    ``key`` is stable and stored by whoever targets the segment: ``all-customers``,
    ``organization:12``, or ``<plugin name>.<anything>`` for a plugin's segment
    (``loyalty.tier:gold``). ``label`` is what staff read when choosing an audience (a lazy
    translation). ``member_ids`` returns a select of account ids, evaluated inside the caller's query.
    """

    key: str
    label: Any
    member_ids: Callable[[], Select[tuple[int]]]


def _all_customers() -> Segment:
    return Segment(
        key=ALL_CUSTOMERS,
        label=_l("All customers"),
        member_ids=lambda: select(User.id).where(User.role == "customer"),
    )


def _organization_segment(organization_id: int, name: str) -> Segment:
    return Segment(
        key=f"{ORGANIZATION_PREFIX}{organization_id}",
        label=_l("Organization: %(name)s", name=isolated_text(name)),
        member_ids=lambda: select(Membership.user_id).where(Membership.organization_id == organization_id),
    )


def _plugin_segments() -> list[Segment]:
    """Enabled plugins' segments; a key outside the plugin's own namespace stops with a clear error."""
    segments = []
    for plugin_name, offered in plugin_host().call_each("portal_segments"):
        for segment in offered:
            if not segment.key.startswith(plugin_name + "."):
                raise PluginError(
                    f"Plugin {plugin_name!r} offers a segment keyed {segment.key!r}; "
                    f"segment keys must start with '{plugin_name}.'."
                )
            segments.append(segment)
    return segments


def all_segments() -> list[Segment]:
    """Every segment on offer now: all customers, each organization by name, then plugins' by key.

    A switched-off plugin's segments are not offered.
    """
    organizations = db.session.execute(
        select(Organization.id, Organization.name).order_by(Organization.name, Organization.id)
    ).all()
    return [
        _all_customers(),
        *(_organization_segment(row.id, row.name) for row in organizations),
        *sorted(_plugin_segments(), key=lambda segment: segment.key),
    ]


def segment_by_key(key: str) -> Segment | None:
    """The segment a stored key names, or ``None`` when it no longer exists or its plugin is off."""
    if key == ALL_CUSTOMERS:
        return _all_customers()
    if key.startswith(ORGANIZATION_PREFIX):
        number = key.removeprefix(ORGANIZATION_PREFIX)
        if not (number.isascii() and number.isdigit()) or len(number) > 10:
            return None
        organization = db.session.get(Organization, int(number)) if int(number) <= ID_MAX else None
        return _organization_segment(organization.id, organization.name) if organization else None
    return next((segment for segment in _plugin_segments() if segment.key == key), None)


def segment_member_ids(key: str) -> Select[tuple[int]]:
    """A select of the ids of the customers in the segment: empty for an unknown key.

    Only customer accounts are returned, whatever a plugin's select yields, so staff never end up in
    an audience. Use it in a query: ``.where(User.id.in_(segment_member_ids(key)))``.
    """
    customers = select(User.id).where(User.role == "customer")
    segment = segment_by_key(key)
    if segment is None:
        return customers.where(false())
    return customers.where(User.id.in_(segment.member_ids()))


def in_segment(key: str, user_id: int) -> bool:
    """Whether one customer is in the segment, asked of the database in a single query."""
    found = db.session.scalar(segment_member_ids(key).where(User.id == user_id).limit(1))
    return found is not None


def audience_condition(
    user: User, audience: QueryableAttribute[Any], *, among: ColumnElement[bool]
) -> ColumnElement[bool]:
    """Whether ``user`` is in the audience each row names in its ``audience`` column, as one SQL condition.

    Documents, articles and anything else aimed at segments ask this instead of loading members, so a
    list costs a fixed number of queries however many audiences exist: the customer's organization is
    compared directly, and only the plugin segment keys stored on rows matching ``among`` (the rows
    that could be shown at all) are resolved, once each. A key that no longer resolves matches nobody.
    """
    audiences: list[ColumnElement[bool]] = [audience == ALL_CUSTOMERS]
    organization_id = scope_for(user).organization_id
    if organization_id is not None:
        audiences.append(audience == f"{ORGANIZATION_PREFIX}{organization_id}")
    # A plugin's segment key always holds a dot ("loyalty.tier:gold"); the core's never do. "Is not
    # null" lets the database seek the keyed part of the audience column's index instead of reading
    # every row (most documents are aimed at one customer and have no key): at 40,000 documents the
    # scan cost each list 5 ms.
    in_use = select(audience).where(among, audience.is_not(None), audience.like("%.%")).distinct()
    plugin_keys = db.session.scalars(in_use).all()
    for key in plugin_keys:
        segment = segment_by_key(key)
        if segment is not None:
            audiences.append(and_(audience == key, literal(user.id).in_(segment.member_ids())))
    return or_(*audiences)
