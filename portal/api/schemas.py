"""What every API route shares: times in UTC with their offset, and cursor-paged lists."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import marshmallow as ma
from flask import request
from sqlalchemy import Select, String, column

from portal.api.problems import api_abort
from portal.content_languages import localized
from portal.paging import MAX_CURSOR_LENGTH, Key, encode_cursor, keyset_page, read_cursor

PAGE_SIZE = 25
PAGE_SIZE_MAX = 100
# Long enough for a UUID or an order number with a prefix; the tickets store it in 64 characters.
IDEMPOTENCY_KEY_MAX = 64
# The header as a route documents it: ``@blueprint.doc(parameters=[IDEMPOTENCY_PARAMETER])``.
IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX},
    "description": "Any unique text per request, such as a UUID: a retry with it answers the first result.",
}
# The key of a list paged in Python (``api_list_page``), as cursors read it back: text.
TEXT_KEY = column("key", String())

Item = TypeVar("Item")


class UtcDateTime(ma.fields.DateTime):
    """A moment as ISO 8601 with its offset (always UTC out); one without an offset is read as UTC.

    The database keeps naive UTC (portal.database.utcnow), which would otherwise go out without an
    offset and be read as local time by half the clients.
    """

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if not datetime(1900, 1, 1) <= moment <= datetime(9000, 1, 1):
            raise ma.ValidationError("Give a moment between the years 1900 and 9000.")
        return moment


class LocalizedText(ma.fields.String):
    """Staff-written text (a title, a question) in the reader's language, the default language's otherwise.

    The reader's language is the token's account's, or the request's Accept-Language.
    """

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str:
        return localized(obj, str(attr))


class PageArguments(ma.Schema):
    """The query of any list: where to go on from, and how many at once."""

    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=MAX_CURSOR_LENGTH),
        metadata={"description": "The next_cursor of the page before; leave out for the first page."},
    )
    limit = ma.fields.Integer(
        load_default=PAGE_SIZE,
        validate=ma.validate.Range(1, PAGE_SIZE_MAX),
        metadata={"description": f"How many items at once, 1 to {PAGE_SIZE_MAX}."},
    )


class SyncArguments(PageArguments):
    """A list an integration keeps in step with: only what changed since its last sync."""

    updated_since = UtcDateTime(
        load_default=None,
        metadata={"description": "Only items changed at or after this moment (ISO 8601)."},
    )


def page_of(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The schema of one page of ``item``: the items, and the cursor of the next page or null."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "next_cursor": ma.fields.String(
                required=True, allow_none=True, metadata={"description": "Pass as cursor for the next page."}
            ),
        },
    )


def api_page(
    query: Select[Any],
    keys: Sequence[Key],
    arguments: dict[str, Any],
    *,
    descending: bool = False,
    values: Callable[[Any], Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """One page of ``query`` for the API, keyset-paged like the pages; a cursor it did not write is a 422."""
    cursor = arguments.get("cursor")
    if cursor and read_cursor(cursor, keys) is None:
        _refuse_cursor()
    page = keyset_page(
        query, keys, cursor=cursor or None, size=arguments["limit"], descending=descending, values=values
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


def api_list_page(
    items: Iterable[Item], key: Callable[[Item], str], arguments: dict[str, Any]
) -> dict[str, Any]:
    """One page of a list made in Python rather than by one query (segments come from every plugin).

    Paged like ``api_page``, by a unique text ``key`` in its order: the cursor is the key of the last
    item, so items added meanwhile shift nothing, and a cursor this did not write is a 422.
    """
    after = None
    if cursor := arguments.get("cursor"):
        position = read_cursor(cursor, [TEXT_KEY])
        if position is None or position.backwards:
            _refuse_cursor()
        after = position.values[0]
    ordered = sorted((item for item in items if after is None or key(item) > after), key=key)
    page = ordered[: arguments["limit"]]
    more = len(ordered) > len(page)
    return {"items": page, "next_cursor": encode_cursor([key(page[-1])]) if more else None}


def _refuse_cursor() -> NoReturn:
    api_abort(
        422, errors={"query": {"cursor": ["This is not a cursor of this list; start again without it."]}}
    )


class Text(ma.fields.String):
    """Text a person typed: trimmed, within ``max_length``, and never holding a NUL character.

    PostgreSQL cannot store NUL in text, and no person types one; refusing it here turns what
    would be a database error into a 422 that names the field.
    """

    def __init__(self, *, max_length: int, min_length: int = 1, **kwargs: Any) -> None:
        super().__init__(validate=ma.validate.Length(max=max_length), **kwargs)
        self.min_length = min_length

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        typed = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in typed:
            raise ma.ValidationError("Remove the NUL character from this text.")
        # The limit is on what was sent, as the document says; the minimum is on what is left to read.
        self._validate(typed)
        text = typed.strip()
        if len(text) < self.min_length:
            raise ma.ValidationError(f"Write at least {self.min_length} character(s) besides spaces.")
        return text


def idempotency_key() -> str | None:
    """The request's ``Idempotency-Key`` header: the same key again gives the first answer, once."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
        api_abort(
            422,
            errors={"headers": {"Idempotency-Key": [f"Use up to {IDEMPOTENCY_KEY_MAX} ASCII characters."]}},
        )
    return key
