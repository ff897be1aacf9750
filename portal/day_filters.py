"""Days typed into a date filter (``?date_from=2026-01-31``, or ۱۴۰۴/۱۱/۱۱ from a reader of the Solar
Hijri calendar), read within the range the code can handle.

Python's dates end at 9999-12-31, so the "day after" an end date of 9999-12-31, or midnight of
0001-01-01 moved to UTC from a zone east of it, is an OverflowError: a 500 for a date any date input
lets a person pick. A filter day is clamped to 1900-01-01..9998-12-31 instead, which selects the same
rows (the portal holds nothing older or newer), so "until 9999-12-31" still means "until the end".
"""

from __future__ import annotations

from datetime import date

from portal.date_inputs import parse_calendar_date

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(9998, 12, 31)


def parse_filter_day(text: str | None) -> date | None:
    """The day typed in the reader's calendar (``parse_calendar_date``), clamped; ``None`` when empty.

    Raises ``DateInputError`` (a ValueError) for text that is not such a date, with the message to show.
    """
    if not text:
        return None
    day = parse_calendar_date(text)
    return min(max(day, EARLIEST_DAY), LATEST_DAY)
