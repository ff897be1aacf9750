"""The keyset paging helper on a real table: every row once, in order, and no broken link an error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text

from portal.audit import AuditEvent
from portal.database import db
from portal.paging import Page, _beyond, encode_cursor, keyset_page, page_link_id, read_cursor

START = datetime(2026, 1, 31, 9, 30, 0, 250000)


@pytest.fixture
def events(app: Flask) -> Iterator[list[int]]:
    """Twelve audit events in an app context, in four groups of three with the same kind and time."""
    with app.app_context():
        rows = [
            AuditEvent(kind=f"~kind_{group}%5F", created_at=START + timedelta(hours=group))
            for group in (2, 0, 3, 1)
            for _ in range(3)
        ]
        db.session.add_all(rows)
        db.session.commit()
        yield [row.id for row in rows]


def every_page(keys, size: int, **options) -> list[Page]:
    pages = [keyset_page(select(AuditEvent), keys, cursor=None, size=size, **options)]
    while pages[-1].next_cursor is not None:
        assert len(pages) < 20, "the cursor does not move on"
        pages.append(
            keyset_page(select(AuditEvent), keys, cursor=pages[-1].next_cursor, size=size, **options)
        )
    return pages


def ids(pages: list[Page]) -> list[int]:
    return [event.id for page in pages for event in page.items]


def test_ascending_by_id_pages_through_every_row_once(events):
    pages = every_page([AuditEvent.id], size=5)
    assert [len(page.items) for page in pages] == [5, 5, 2]
    assert ids(pages) == sorted(events)
    assert pages[0].next_cursor == str(sorted(events)[4])


def test_descending_by_id_gives_the_newest_first_and_a_plain_id_cursor(events):
    pages = every_page([AuditEvent.id], size=5, descending=True)
    assert ids(pages) == sorted(events, reverse=True)
    # A single integer key is the bare id, so links like ?before=123 keep working.
    assert pages[0].next_cursor == str(sorted(events, reverse=True)[4])
    again = keyset_page(
        select(AuditEvent), [AuditEvent.id], cursor=pages[0].next_cursor, size=5, descending=True
    )
    assert [event.id for event in again.items] == ids(pages)[5:10]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("size", [1, 2, 4, 5])
def test_compound_text_key_with_ties_skips_and_repeats_nothing(events, descending, size):
    pages = every_page([AuditEvent.kind, AuditEvent.id], size=size, descending=descending)
    expected = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.kind, AuditEvent.id)).all()
    assert ids(pages) == (list(reversed(expected)) if descending else list(expected))
    # The kind holds the separator, an escape and the backwards mark; all survive the cursor.
    assert all(
        event.kind.startswith("~") and event.kind.endswith("%5F") for page in pages for event in page.items
    )


@pytest.mark.parametrize("descending", [False, True])
def test_datetime_key_with_ties_pages_in_time_order(events, descending):
    pages = every_page([AuditEvent.created_at, AuditEvent.id], size=4, descending=descending)
    times = [(event.created_at, event.id) for page in pages for event in page.items]
    assert times == sorted(times, reverse=descending)
    assert len(times) == len(events)
    assert pages[0].next_cursor.startswith("2026-01-31T")


def test_rows_of_several_entities_read_their_keys_from_the_keys_entity(events):
    query = select(AuditEvent, AuditEvent.kind.label("what"))
    first = keyset_page(query, [AuditEvent.id], cursor=None, size=5, scalars=False)
    assert [row.AuditEvent.id for row in first.items] == sorted(events)[:5]
    assert first.next_cursor == str(sorted(events)[4])
    second = keyset_page(query, [AuditEvent.id], cursor=first.next_cursor, size=5, scalars=False)
    assert [row.AuditEvent.id for row in second.items] == sorted(events)[5:10]


def test_values_reads_keys_the_helper_cannot_name(events):
    shifted = AuditEvent.id + 1000
    query = select(AuditEvent.id, shifted.label("shifted"))
    with pytest.raises(TypeError, match="pass values="):
        keyset_page(query, [shifted], cursor=None, size=5, scalars=False)
    page = keyset_page(
        query, [shifted], cursor=None, size=5, scalars=False, values=lambda row: (row.shifted,)
    )
    assert page.next_cursor == str(sorted(events)[4] + 1000)


def every_page_back(last: Page, keys, size: int, **options) -> list[Page]:
    """From ``last``, the pages reached by following "previous" links, in list order."""
    pages = [last]
    while pages[0].previous_cursor is not None:
        assert len(pages) < 20, "the cursor does not move back"
        cursor = pages[0].previous_cursor
        pages.insert(0, keyset_page(select(AuditEvent), keys, cursor=cursor, size=size, **options))
    return pages


KEY_SETS = {
    "id": [AuditEvent.id],
    "kind, id": [AuditEvent.kind, AuditEvent.id],
    "time, id": [AuditEvent.created_at, AuditEvent.id],
}


@pytest.mark.parametrize("keys", KEY_SETS.values(), ids=KEY_SETS.keys())
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("size", [1, 4, 5])
def test_previous_links_walk_back_through_the_same_pages(events, keys, descending, size):
    forward = every_page(keys, size=size, descending=descending)
    back = every_page_back(forward[-1], keys, size=size, descending=descending)
    assert [ids([page]) for page in back] == [ids([page]) for page in forward]
    assert forward[0].previous_cursor is None, "the first page has nothing before it"
    assert back[0].previous_cursor is None
    assert all(page.next_cursor for page in back[:-1]), "every page walked back to links onwards again"


@pytest.mark.parametrize("keys", KEY_SETS.values(), ids=KEY_SETS.keys())
@pytest.mark.parametrize("descending", [False, True])
def test_next_then_previous_gives_the_same_page(events, keys, descending):
    first = keyset_page(select(AuditEvent), keys, cursor=None, size=5, descending=descending)
    second = keyset_page(select(AuditEvent), keys, cursor=first.next_cursor, size=5, descending=descending)
    again = keyset_page(
        select(AuditEvent), keys, cursor=second.previous_cursor, size=5, descending=descending
    )
    assert [event.id for event in again.items] == [event.id for event in first.items]
    assert again.next_cursor == first.next_cursor
    assert again.previous_cursor is None
    onwards = keyset_page(select(AuditEvent), keys, cursor=again.next_cursor, size=5, descending=descending)
    assert [event.id for event in onwards.items] == [event.id for event in second.items]


def test_a_previous_link_after_rows_arrived_still_shows_the_rows_just_before(events, app):
    first = keyset_page(select(AuditEvent), [AuditEvent.id], cursor=None, size=5, descending=True)
    second = keyset_page(
        select(AuditEvent), [AuditEvent.id], cursor=first.next_cursor, size=5, descending=True
    )
    db.session.add(AuditEvent(kind="newer", created_at=START))
    db.session.commit()
    back = keyset_page(
        select(AuditEvent), [AuditEvent.id], cursor=second.previous_cursor, size=5, descending=True
    )
    assert [event.id for event in back.items] == [event.id for event in first.items]
    newest = keyset_page(
        select(AuditEvent), [AuditEvent.id], cursor=back.previous_cursor, size=5, descending=True
    )
    assert [event.kind for event in newest.items] == ["newer"], "the row that arrived is one page back"


def test_an_empty_result_is_one_empty_last_page(app):
    with app.app_context():
        page = keyset_page(select(AuditEvent), [AuditEvent.id], cursor="5", size=5)
        assert page == Page(items=[], next_cursor=None)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "12abc",
        "1_000",  # int() would read this as a thousand
        "-5",
        "0",  # ids start at 1
        "~0",
        "+5",
        " 5",
        "٣",  # a digit, but not an ASCII one
        str(2**31),  # past an INTEGER column
        "9" * 40,
        "1" * 2000,
        "2026-01-31T09:30:00_5_6",  # too many parts
        "~",  # backwards from nowhere
        "~~5",
        "~-5",
        "~" + str(2**31),
        "5~",
    ],
)
def test_a_malformed_cursor_means_the_first_page(events, cursor):
    page = keyset_page(select(AuditEvent), [AuditEvent.id], cursor=cursor, size=5, descending=True)
    assert [event.id for event in page.items] == sorted(events, reverse=True)[:5]


@pytest.mark.parametrize(
    "cursor",
    [
        "5",  # too few parts
        "2026-13-01T00:00:00_5",
        "2026-01-01T00:00:00+05:00_5",  # an aware time for a naive column
        "2026-01-01T00:00:00_" + str(2**31),
        "2026-01-01T00:00:00_-1",
        "yesterday_5",
        "~2026-01-01T00:00:00",
        "~yesterday_5",
    ],
)
def test_a_malformed_compound_cursor_means_the_first_page(events, cursor):
    keys = [AuditEvent.created_at, AuditEvent.id]
    page = keyset_page(select(AuditEvent), keys, cursor=cursor, size=5)
    first = keyset_page(select(AuditEvent), keys, cursor=None, size=5)
    assert [event.id for event in page.items] == [event.id for event in first.items]


def test_cursor_encoding_is_plain_text():
    assert encode_cursor([123]) == "123"
    assert encode_cursor([150, 7]) == "150_7"
    assert encode_cursor([datetime(2026, 1, 31, 9, 30), 7]) == "2026-01-31T09:30:00_7"
    assert encode_cursor([150, 7], backwards=True) == "~150_7"
    assert encode_cursor(["~a_b%", 7]) == "%7Ea%5Fb%25_7", "text never reads as a mark or a separator"
    with pytest.raises(ValueError):
        encode_cursor([-1])
    with pytest.raises(ValueError):
        encode_cursor(["x" * 1000, 1])


def test_read_cursor_tells_a_broken_link_from_a_position(app):
    keys = [AuditEvent.created_at, AuditEvent.id]
    assert read_cursor("2026-01-31T09:30:00_7", keys).values == [datetime(2026, 1, 31, 9, 30), 7]
    assert read_cursor("~2026-01-31T09:30:00_7", keys).backwards
    assert not read_cursor("2026-01-31T09:30:00_7", keys).backwards
    for broken in (None, "", "7", "~", "2026-01-31T09:30:00_" + str(2**31), "x" * 2000):
        assert read_cursor(broken, keys) is None


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_seeks_the_index_for_a_compound_key(app):
    # The row-value comparison must not cost the index: SQLite seeks (kind, id) rather than sorting.
    # (The plan is SQLite's own words; PostgreSQL's planner serves row values from a btree by design.)
    with app.app_context():
        db.session.execute(text("CREATE INDEX ix_test_kind_id ON portal_audit_events (kind, id)"))
        keys = [AuditEvent.kind, AuditEvent.id]
        query = select(AuditEvent).where(_beyond(keys, ["kind_1", 5], False)).order_by(*keys).limit(3)
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row[-1]) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "SEARCH" in plan and "ix_test_kind_id" in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("41", 41),
        ("2147483647", 2147483647),
        (None, None),
        ("", None),
        ("0", None),
        ("-1", None),
        ("2147483648", None),
        ("123456789012345678", None),
        ("9" * 5000, None),
        ("٤١", None),  # digits of another script: str.isdigit says yes, but no link of ours has them
        ("41abc", None),
    ],
)
def test_a_hand_made_page_link_id_is_an_id_or_the_first_page(raw, expected):
    assert page_link_id(raw) == expected
