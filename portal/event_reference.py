"""The event reference (docs/events.md), written from the declarations so the docs cannot drift from them.

``portal events reference`` prints it; tests/test_docs.py checks the committed file equals the output.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterable

from portal.event_types import CORE, DeclaredEvent, DomainEvent, EventTypes

HEADER = """# Event reference

Every event the core and the built-in plugins emit: its name, who owns it, the fields of its payload,
and the business fact it records. Written by `portal events reference` from the declarations (each
owner's `events.py`); do not edit it by hand: tests/test_docs.py checks that it matches them. How to
declare, emit and receive events: [Writing a plugin](plugins.md#events).

Every event also carries `customer_id` (the customer it is about) and `actor_id` (who made it happen),
either of which may be `None`. A **fact** is unique to what happened: effects that must happen once
(points, say) key on it, so the same fact announced twice has one effect. An event without a fact may
happen any number of times.
"""


def _type_text(field: dataclasses.Field[object]) -> str:
    """The annotation as written, with ``|`` escaped so a union stays in its table cell."""
    text = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", repr(field.type))
    return text.replace("|", "\\|")


def _default_text(field: dataclasses.Field[object]) -> str:
    if field.default is not dataclasses.MISSING:
        return f"`{field.default!r}`"
    return ""


def fact_pattern(event_type: type[DomainEvent]) -> str | None:
    """The shape of an event's fact (``rated:<ticket_id>``), found by filling each field with its name."""
    if event_type.fact is DomainEvent.fact:
        return None
    placeholders = {field.name: f"<{field.name}>" for field in dataclasses.fields(event_type)}
    try:
        return event_type(**placeholders).fact
    except Exception:  # a fact computed from the values, not merely formatted from them
        return "computed from the fields"


def render_event(declared: DeclaredEvent) -> str:
    """One event's section: name, class, fact, fields and its docstring."""
    event_type = declared.event_type
    fact = fact_pattern(event_type)
    lines = [
        f"### `{event_type.name}`",
        "",
        inspect.cleandoc(event_type.__doc__ or ""),
        "",
        f"- **Declared by:** `{event_type.__module__}.{event_type.__qualname__}`",
        f"- **Fact:** `{fact}`" if fact else "- **Fact:** none; it may happen again",
    ]
    fields = dataclasses.fields(event_type)
    if fields:
        lines += ["", "| field | type | default |", "| --- | --- | --- |"]
        lines += [f"| `{field.name}` | `{_type_text(field)}` | {_default_text(field)} |" for field in fields]
    else:
        lines += ["- **Fields:** none"]
    return "\n".join(lines) + "\n"


def render_event_reference(types: EventTypes, owners: Iterable[str]) -> str:
    """The whole reference for ``owners`` (``core`` and plugin names), the core first, then by name."""
    wanted = set(owners)
    sections = [HEADER]
    for owner in types.owners():
        if owner not in wanted:
            continue
        sections.append(f"## {'The core' if owner == CORE else f'The {owner} plugin'}\n")
        sections += [render_event(declared) for declared in types.by_name.values() if declared.owner == owner]
    return "\n".join(sections)
