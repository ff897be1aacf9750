"""The time zones a person can choose, each named in the reader's language and listed once.

The zone database holds about 600 names, many of them old aliases of one zone (US/Pacific is
America/Los_Angeles); a picker lists one name per zone, sorted by the words a person reads, not by
the IANA name.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from portal.dates import reader_language, zone_label

# Names under these are aliases (US/Pacific, Etc/GMT+3); so are names without an area (Iran, CST6CDT),
# legacy rule-based zones whose names hold Latin digits. The picker offers only "Area/City" names and UTC.
LEGACY_PREFIXES = ("US/", "Canada/", "Mexico/", "Brazil/", "Chile/", "Etc/", "SystemV/")


def is_zone(name: str) -> bool:
    """Whether ``name`` is a zone the zone database knows, the only kind a person may choose."""
    return name in _all_zones()


def zone_choices(current: str | None = None, language: str | None = None) -> list[tuple[str, str]]:
    """``(name, label)`` for each zone, sorted by label in ``language`` (the reader's by default).

    ``current``, a person's stored zone, is always offered, even as an alias, so saving a profile
    never changes a zone its owner did not touch.
    """
    choices = list(_choices(language or reader_language()))
    if current and is_zone(current) and current not in dict(choices):
        choices.append((current, zone_label(current, language)))
        choices.sort(key=lambda choice: (choice[1], choice[0]))
    return choices


@lru_cache(maxsize=1)
def _all_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=8)
def _choices(language: str) -> tuple[tuple[str, str], ...]:
    by_label: dict[str, str] = {}
    for name in sorted(name for name in _all_zones() if not _is_alias(name)):
        by_label.setdefault(zone_label(name, language), name)
    utc = zone_label("UTC", language)
    by_label[utc] = "UTC"
    return tuple(sorted(((name, label) for label, name in by_label.items()), key=lambda c: (c[1], c[0])))


def _is_alias(name: str) -> bool:
    return "/" not in name or name.startswith(LEGACY_PREFIXES)
