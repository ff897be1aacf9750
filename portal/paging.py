"""Keyset paging: each page is one indexed seek past the last row shown, never an OFFSET.

A page link carries a cursor, the ordering keys of the last row on the page as short text. The next
page asks for the rows after those keys, so rows arriving while someone pages shift nothing, and the
database seeks straight to the start of the page however deep it is. One extra row is fetched to
know whether there is a next page at all.
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

Key: TypeAlias = ColumnElement[Any] | InstrumentedAttribute[Any]


@dataclass(frozen=True)
class Page:
    """One page of results and the cursor for the page after it (``None`` on the last page)."""

    items: list[Any]
    next_cursor: str | None


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
    """The page of ``query`` after ``cursor``, in the order of ``keys``, with the next page's cursor.

    ``keys`` are the ordering expressions, all in one direction, the last one unique (the id) so no
    two rows tie. The helper replaces any ORDER BY and LIMIT of ``query``. A cursor that is
    malformed, of the wrong length or out of range for its column means the first page: page links
    are typed and shared by people, and a broken one should not be an error. Integer keys must not
    be negative (ids, costs, counts), so that a stray ``-1`` in a link also means the first page.

    ``values(row)`` gives a result row's key values. By default each key is read from the row by its
    name, from the key's entity when the row holds several (``select(Ticket, User.name)`` with
    ``scalars=False`` reads ``row.Ticket.id``); pass ``values`` for a key that is an expression.
    """
    if not keys:
        raise ValueError("keyset_page needs at least one ordering key")
    decoders = [_decoder(key) for key in keys]
    order = [key.desc() if descending else key.asc() for key in keys]
    query = query.order_by(None).order_by(*order).limit(size + 1)
    after = decode_cursor(cursor, decoders)
    if after is not None:
        query = query.where(_beyond(keys, after, descending))
    rows = list(db.session.scalars(query) if scalars else db.session.execute(query))
    if len(rows) <= size:
        return Page(items=rows, next_cursor=None)
    last = rows[size - 1]
    shown = values(last) if values is not None else [_read(last, key) for key in keys]
    return Page(items=rows[:size], next_cursor=encode_cursor(shown))


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


def encode_cursor(values: Sequence[Any]) -> str:
    """The cursor text for a row's key values: a single integer key is just that integer.

    A cursor too long to be read back would send the next link to the first page again, a loop;
    so that fails here, loudly, instead.
    """
    cursor = SEPARATOR.join(_encode_part(value) for value in values)
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
        return value.replace("%", "%25").replace(SEPARATOR, "%5F")
    raise TypeError(f"keyset_page cannot put a {type(value).__name__} in a cursor")


def decode_cursor(cursor: str | None, decoders: Sequence[Callable[[str], Any]]) -> list[Any] | None:
    """The key values a cursor names, or ``None`` for the first page when it names none properly."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    parts = cursor.split(SEPARATOR)
    if len(parts) != len(decoders):
        return None
    try:
        return [decode(part) for decode, part in zip(decoders, parts, strict=True)]
    except ValueError:
        return None


def _decoder(key: Key) -> Callable[[str], Any]:
    """How to read the key's part of a cursor back, by the key's SQL type; raises ValueError if bad."""
    sql_type = key.type
    if isinstance(sql_type, Integer):
        # A BIGINT column takes 64-bit values; an INTEGER, as ids are, 32-bit ones.
        largest = 2**63 - 1 if isinstance(sql_type, BigInteger) else 2**31 - 1
        return lambda part: _integer(part, largest)
    if isinstance(sql_type, String):
        return _text
    python_type = sql_type.python_type
    if python_type is datetime:
        return lambda part: _datetime(part, aware=bool(getattr(sql_type, "timezone", False)))
    if python_type is date:
        return date.fromisoformat
    raise TypeError(f"keyset_page cannot page by a key of type {sql_type!r}")


def _integer(part: str, largest: int) -> int:
    if not (part.isascii() and part.isdigit()) or len(part) > 19:
        raise ValueError(part)
    value = int(part)
    if value > largest:
        raise ValueError(part)
    return value


def _datetime(part: str, *, aware: bool) -> datetime:
    value = datetime.fromisoformat(part)
    if (value.tzinfo is not None) != aware:
        raise ValueError(part)
    return value


def _text(part: str) -> str:
    return part.replace("%5F", SEPARATOR).replace("%25", "%")
