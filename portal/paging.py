"""Keyset paging: each page is one indexed seek past the last row shown, never an OFFSET.

A page link carries a cursor, the ordering keys of the last row on the page as short text. The next
page asks for the rows after those keys, so rows arriving while someone pages shift nothing, and the
database seeks straight to the start of the page however deep it is. One extra row is fetched to
know whether there is a next page at all.

Paging back works the same way in the other direction: the previous page's cursor names the first
row shown, marked with a leading ``~``, and asks for the rows just before it. Following "next" and
then "previous" shows the page one started from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeAlias

from sqlalchemy import BigInteger, ColumnElement, Integer, Select, String, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from portal.converters import ID_MAX
from portal.database import db

# Parts of a compound cursor are joined with this; an underscore is never part of an integer or an
# ISO date, and a text part escapes it (see _encode_part).
SEPARATOR = "_"
# A longer cursor is not one this module wrote; refusing it also keeps int() away from huge digits.
MAX_CURSOR_LENGTH = 1000
# Starts a cursor that pages backwards. No integer or date starts with it, and text escapes it.
BACKWARDS = "~"
# The largest value of a BIGINT column; an INTEGER column stops at ID_MAX.
BIGINT_MAX = 2**63 - 1

Key: TypeAlias = ColumnElement[Any] | InstrumentedAttribute[Any]


@dataclass(frozen=True)
class Page:
    """One page of results, the cursor for the page after it (``None`` on the last page) and the
    cursor for the page before it (``None`` on the first page)."""

    items: list[Any]
    next_cursor: str | None
    previous_cursor: str | None = None


def keyset_page(
    query: Select[Any],
    keys: Sequence[Key],
    *,
    cursor: str | None,
    size: int,
    descending: bool = False,
    values: Callable[[Any], Sequence[Any]] | None = None,
    scalars: bool = True,
) -> Page:
    """The page of ``query`` at ``cursor``, in the order of ``keys``, with the cursors of its neighbours.

    ``keys`` are the ordering expressions, all in one direction, the last one unique (the id) so no
    two rows tie: ``[Ticket.due, Ticket.id]`` pages by due date, ties in id order. The helper
    replaces any ORDER BY and LIMIT of ``query``. ``cursor`` is a page's ``next_cursor`` or
    ``previous_cursor``, or ``None`` for the first page. A cursor that is malformed, of the wrong
    length or out of range for its column means the first page: page links are typed and shared by
    people, and a broken one should not be an error (a list that would rather say so checks the link
    with ``read_cursor`` first). Integer keys must not be negative (ids, costs, counts), so that a
    stray ``-1`` in a link also means the first page.

    Each page is one query of ``size + 1`` rows. The previous page is offered whenever the page was
    reached through a cursor; had the rows before it all been deleted since, that page is empty.

    ``values(row)`` gives a result row's key values. By default each key is read from the row by its
    name, from the key's entity when the row holds several (``select(Ticket, User.name)`` with
    ``scalars=False`` reads ``row.Ticket.id``); pass ``values`` for a key that is an expression.
    """
    if not keys:
        raise ValueError("keyset_page needs at least one ordering key")
    position = read_cursor(cursor, keys)
    backwards = position is not None and position.backwards
    # Backwards, the rows just before the cursor are fetched in reverse order, then put right again.
    reverse = descending != backwards
    order = [key.desc() if reverse else key.asc() for key in keys]
    query = query.order_by(None).order_by(*order).limit(size + 1)
    if position is not None:
        query = query.where(_beyond(keys, position.values, reverse))
    rows = list(db.session.scalars(query) if scalars else db.session.execute(query))
    more = len(rows) > size
    items = rows[:size]
    if backwards:
        items.reverse()
    if not items:
        return Page(items=[], next_cursor=None)

    def key_values(row: Any) -> Sequence[Any]:
        return values(row) if values is not None else [_read(row, key) for key in keys]

    # Forwards, a cursor means rows were left behind; backwards, the page came from a later one.
    has_next = backwards or more
    has_previous = more if backwards else position is not None
    return Page(
        items=items,
        next_cursor=encode_cursor(key_values(items[-1])) if has_next else None,
        previous_cursor=encode_cursor(key_values(items[0]), backwards=True) if has_previous else None,
    )


def _beyond(keys: Sequence[Key], after: list[Any], descending: bool) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the page order; a row-value comparison for compound keys.

    Row values ``(a, b) > (x, y)`` work on SQLite (3.15 and later) and PostgreSQL, and both use an
    index on ``(a, b)`` for them.
    """
    if len(keys) == 1:
        return keys[0] < after[0] if descending else keys[0] > after[0]
    left = tuple_(*keys)
    right = tuple_(*(literal(value, key.type) for key, value in zip(keys, after, strict=True)))
    return left < right if descending else left > right


def _read(row: Any, key: Key) -> Any:
    """A key's value from a result row: from the key's entity when the row holds several things."""
    owner = getattr(key, "class_", None)
    source = getattr(row, owner.__name__, None) if owner is not None and not isinstance(row, owner) else None
    return getattr(source if source is not None else row, _name(key))


def _name(key: Key) -> str:
    name = getattr(key, "key", None)
    if not name:
        raise TypeError(f"keyset_page cannot read {key!r} from a row; pass values=")
    return name


def page_link_id(raw: str | None) -> int | None:
    """The id a hand-made page link carries (``?before=123``), or ``None`` for the first page.

    For lists paged by id alone without ``keyset_page``. Like a cursor, a link that cannot name an id
    (text, ``-1``, ``0``, a number past the INTEGER range) means the first page, not an error.
    """
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(ID_MAX)):
        return None
    value = int(raw)
    return value if 0 < value <= ID_MAX else None


@dataclass(frozen=True)
class CursorPosition:
    """What a cursor names: the key values of a row, and whether the page wanted ends there."""

    values: list[Any]
    backwards: bool


def read_cursor(cursor: str | None, keys: Sequence[Key]) -> CursorPosition | None:
    """Where a cursor for ``keys`` points, or ``None`` when it names no position properly.

    ``keyset_page`` treats ``None`` as the first page; a list that answers a broken link with an
    error instead (the staff customer list does) calls this to tell a broken link from none.
    """
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    backwards = cursor.startswith(BACKWARDS)
    parts = cursor.removeprefix(BACKWARDS).split(SEPARATOR)
    if len(parts) != len(keys):
        return None
    try:
        values = [_decoder(key)(part) for key, part in zip(keys, parts, strict=True)]
    except ValueError:
        return None
    return CursorPosition(values=values, backwards=backwards)


def encode_cursor(values: Sequence[Any], *, backwards: bool = False) -> str:
    """The cursor text for a row's key values: a single integer key is just that integer.

    ``backwards`` makes the cursor of the page that ends just before the row. A cursor too long to
    be read back would send the next link to the first page again, a loop; so that fails here,
    loudly, instead.
    """
    cursor = (BACKWARDS if backwards else "") + SEPARATOR.join(_encode_part(value) for value in values)
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError(f"a keyset cursor is at most {MAX_CURSOR_LENGTH} characters")
    return cursor


def _encode_part(value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError("keyset_page cannot page by a boolean key")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("keyset_page cannot page by a negative integer key")
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("%", "%25").replace(SEPARATOR, "%5F").replace(BACKWARDS, "%7E")
    raise TypeError(f"keyset_page cannot put a {type(value).__name__} in a cursor")


def _decoder(key: Key) -> Callable[[str], Any]:
    """How to read the key's part of a cursor back, by the key's SQL type; raises ValueError if bad."""
    sql_type = key.type
    if isinstance(sql_type, Integer):
        # A BIGINT column takes 64-bit values; an INTEGER, as ids are, 32-bit ones. Ids start at 1,
        # so a 0 in a link names no row and is as broken as a -1.
        largest = BIGINT_MAX if isinstance(sql_type, BigInteger) else ID_MAX
        smallest = 1 if getattr(key, "primary_key", False) else 0
        return lambda part: _integer(part, smallest, largest)
    if isinstance(sql_type, String):
        return _text
    python_type = sql_type.python_type
    if python_type is datetime:
        return lambda part: _datetime(part, aware=bool(getattr(sql_type, "timezone", False)))
    if python_type is date:
        return date.fromisoformat
    raise TypeError(f"keyset_page cannot page by a key of type {sql_type!r}")


def _integer(part: str, smallest: int, largest: int) -> int:
    if not (part.isascii() and part.isdigit()) or len(part) > 19:
        raise ValueError(part)
    value = int(part)
    if not smallest <= value <= largest:
        raise ValueError(part)
    return value


def _datetime(part: str, *, aware: bool) -> datetime:
    value = datetime.fromisoformat(part)
    if (value.tzinfo is not None) != aware:
        raise ValueError(part)
    return value


def _text(part: str) -> str:
    return part.replace("%7E", BACKWARDS).replace("%5F", SEPARATOR).replace("%25", "%")
