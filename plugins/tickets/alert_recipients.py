"""Who on the staff hears of work in the queue: every agent, or a category's owners when it has some.

Owners are the setting ``category_owners``, one line per category (``billing: ava@example.com,
sam@example.com``). The setting is checked when it is saved, so an administrator learns of a typo at
once; when it is read, a line that no longer fits (a category removed, an owner who left the staff)
is skipped, and a category whose owners are all gone falls back to every agent: a new ticket is never
heard by nobody.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import select

from portal.plugin import SettingValueError, User, db, get_setting
from portal.plugin import gettext_or_source as _

from .mentions import STAFF_ROLES

OWNERS_SETTING = "category_owners"
OWNERS_MAX_LENGTH = 2000
ADDRESS_SEPARATOR = re.compile(r"[,;\s]+")


def _lines(text: str) -> Iterable[tuple[int, str, str, list[str]]]:
    """Each non-blank line as (number, the line, category, addresses); category "" when unreadable."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        category, colon, rest = line.partition(":")
        addresses = [part.lower() for part in ADDRESS_SEPARATOR.split(rest) if part]
        yield number, line, (category.strip().lower() if colon else ""), addresses


def check_category_owners(text: str, categories: Sequence[str]) -> None:
    """Refuse owners an administrator cannot have meant, naming the line: a line without a category
    and addresses, a category customers cannot choose, a repeated category, an address that is
    nobody's or a customer's. Raises ``SettingValueError``; blank text (everyone hears) is fine."""
    known = {category.lower(): category for category in categories}
    lines = list(_lines(text))
    addresses = {address for *_rest, found in lines for address in found}
    roles = dict(
        db.session.execute(
            select(User.email, User.role).where(User.email.in_(addresses), User.is_integration.is_(False))
        )
        .tuples()
        .all()
    )
    seen: set[str] = set()
    for number, line, category, found in lines:
        if not category or not found:
            raise SettingValueError(
                _(
                    "Line %(number)d (“%(line)s”): write a category, a colon and the owners' addresses, "
                    "like “billing: ava@example.com, sam@example.com”.",
                    number=number,
                    line=line[:80],
                )
            )
        if category not in known:
            raise SettingValueError(
                _(
                    "Line %(number)d: “%(category)s” is not a ticket category. The categories are: "
                    "%(categories)s.",
                    number=number,
                    category=category,
                    categories=", ".join(categories),
                )
            )
        if category in seen:
            raise SettingValueError(
                _(
                    "Line %(number)d: “%(category)s” has a line already; put all its owners on one line.",
                    number=number,
                    category=known[category],
                )
            )
        seen.add(category)
        for address in found:
            role = roles.get(address)
            if role is None:
                raise SettingValueError(
                    _(
                        "Line %(number)d: no account has the address %(address)s.",
                        number=number,
                        address=address,
                    )
                )
            if role not in STAFF_ROLES:
                raise SettingValueError(
                    _(
                        "Line %(number)d: %(address)s is a customer's address; only agents and "
                        "administrators can own a category.",
                        number=number,
                        address=address,
                    )
                )


def owner_addresses(category: str) -> list[str]:
    """The addresses the administrator made owners of ``category`` (empty: nobody owns it)."""
    wanted = category.strip().lower()
    for _number, _line, owned, addresses in _lines(str(get_setting("tickets", OWNERS_SETTING))):
        if owned == wanted:
            return addresses
    return []


def all_staff() -> list[User]:
    """Every agent and administrator, oldest account first; integrations have nobody to tell."""
    staff = select(User).where(User.role.in_(STAFF_ROLES), User.is_integration.is_(False)).order_by(User.id)
    return list(db.session.scalars(staff))


def queue_recipients(category: str) -> list[User]:
    """Who hears of a ticket in the queue of ``category``: its owners still on the staff, else all staff."""
    addresses = owner_addresses(category)
    if addresses:
        owners = db.session.scalars(
            select(User)
            .where(User.email.in_(addresses), User.role.in_(STAFF_ROLES), User.is_integration.is_(False))
            .order_by(User.id)
        ).all()
        if owners:
            return list(owners)
    return all_staff()


def staff_member(user_id: int | None) -> User | None:
    """The account if it is an agent's or an administrator's now; None for anyone else or nobody."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_staff and not user.is_integration else None
