"""The kinds on offer now: the core's, then each enabled plugin's, each checked once per unit of work.

A kind is named after its owner, as notification kinds and segments are: the core's bare
(``customers``), a plugin's ``<plugin name>.<what>`` with the plugin's name as its area of scopes. A
plugin that breaks this, or names a kind twice, fails loudly with a ``PluginError`` naming it, since
another plugin's kind of the same name would otherwise be shadowed without a word. A switched-off
plugin's kinds are not offered: not by the commands, not by the API.
"""

from __future__ import annotations

import re
from typing import TypeVar

from portal.plugin_manager import PluginError, plugin_host
from portal.transfers.customers import CORE_EXPORT_KINDS, CORE_IMPORT_KINDS
from portal.transfers.kinds import ExportKind, ImportKind
from portal.unit_of_work import remembered

CORE_OWNER = "core"
NAME_MAX = 64
CORE_NAME = re.compile(r"[a-z][a-z0-9_]*")
PLUGIN_NAME = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
COLUMN = re.compile(r"[a-z][a-z0-9_]*")

Kind = TypeVar("Kind", ImportKind, ExportKind)


def import_kinds() -> dict[str, ImportKind]:
    """Every import kind on offer now, by name: the core's, then each enabled plugin's."""
    enabled = plugin_host().enabled()
    return remembered(
        ("portal_import_kinds", enabled),
        lambda: _collect("portal_import_kinds", CORE_IMPORT_KINDS, ImportKind),
    )


def export_kinds() -> dict[str, ExportKind]:
    """Every export kind on offer now, by name: the core's, then each enabled plugin's."""
    enabled = plugin_host().enabled()
    return remembered(
        ("portal_export_kinds", enabled),
        lambda: _collect("portal_export_kinds", CORE_EXPORT_KINDS, ExportKind),
    )


def plugin_areas() -> set[str]:
    """The areas of scopes enabled plugins' kinds need, for the tokens page to offer them."""
    kinds: list[ImportKind | ExportKind] = [*import_kinds().values(), *export_kinds().values()]
    return {kind.area for kind in kinds if "." in kind.name}


def _collect(hook_name: str, core_kinds: list[Kind], cls: type[Kind]) -> dict[str, Kind]:
    answers: list[tuple[str, list[Kind]]] = [(CORE_OWNER, core_kinds)]
    answers += plugin_host().call_each(hook_name)
    found: dict[str, Kind] = {}
    for owner, kinds in answers:
        for kind in kinds:
            _check_kind(owner, kind, cls, hook_name)
            if kind.name in found:
                raise PluginError(f"The {_noun(cls)} kind {kind.name!r} is declared twice.")
            found[kind.name] = kind
    return found


def _check_kind(owner: str, kind: object, cls: type[Kind], hook_name: str) -> None:
    if not isinstance(kind, cls):
        raise PluginError(
            f"Plugin {owner!r} returned {kind!r} from {hook_name}; "
            f"return a list of portal.plugin.{cls.__name__}."
        )
    core = owner == CORE_OWNER
    pattern = CORE_NAME if core else PLUGIN_NAME
    if (
        not pattern.fullmatch(kind.name)
        or len(kind.name) > NAME_MAX
        or not (core or kind.name.startswith(owner + "."))
    ):
        rule = "a bare word" if core else f"'{owner}.<what>'"
        raise PluginError(
            f"{owner!r} declares the {_noun(cls)} kind {kind.name!r}; its name is {rule} in lowercase "
            f"letters, digits and underscores, at most {NAME_MAX} characters."
        )
    if not core and kind.area != owner:
        raise PluginError(
            f"{owner!r} declares the {_noun(cls)} kind {kind.name!r} in the area {kind.area!r}; "
            f"a plugin's kinds are in its own area, {owner!r}."
        )
    _check_columns(owner, kind)


def _check_columns(owner: str, kind: ImportKind | ExportKind) -> None:
    columns = kind.columns
    if (
        not columns
        or len(set(columns)) != len(columns)
        or not all(COLUMN.fullmatch(name) for name in columns)
    ):
        raise PluginError(
            f"{owner!r} declares the kind {kind.name!r} with the columns {columns!r}; give at least one, "
            "each once, in lowercase letters, digits and underscores."
        )
    if isinstance(kind, ImportKind):
        if not set(kind.required) <= set(columns) or (kind.key is not None and kind.key not in kind.required):
            raise PluginError(
                f"{owner!r} declares the import kind {kind.name!r}: its required columns and its key "
                "must be among its columns, and its key among the required ones."
            )
        if set(kind.ignored) & set(columns) or not all(COLUMN.fullmatch(name) for name in kind.ignored):
            raise PluginError(
                f"{owner!r} declares the import kind {kind.name!r} with the ignored columns "
                f"{kind.ignored!r}; name each in lowercase letters, digits and underscores, "
                "and none of the columns it reads."
            )


def _noun(cls: type[ImportKind | ExportKind]) -> str:
    return "import" if cls is ImportKind else "export"


def find_import_kind(name: str) -> ImportKind | None:
    """The import kind called ``name`` on offer now, or ``None`` (unknown, or its plugin is off)."""
    return import_kinds().get(name)


def find_export_kind(name: str) -> ExportKind | None:
    """The export kind called ``name`` on offer now, or ``None`` (unknown, or its plugin is off)."""
    return export_kinds().get(name)
