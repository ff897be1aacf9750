"""Compile once per test process what every app would compile again: URL builders and templates.

A server makes one app per process and compiles these once; the suite makes an app per test,
thousands of them, and each compiled everything anew, about a third of a second of each test.

- Werkzeug writes a small function for every URL rule (the one ``url_for`` calls) by generating a
  syntax tree and compiling it when the rule joins an app's URL map: 520 compilations for the
  portal's 260 rules. The function takes the rule as its first argument and depends only on the
  rule's parts, its defaults and their converters, so one compiled for an equal rule serves every app.
- Jinja compiles each template the first time an app renders it. Its bytecode cache, keyed by the
  template's name and a checksum of its source, hands the compiled code to the next app.

The installed plugins' entry points are likewise found once. The suite (``portal.testing.fixtures``)
uses all three; nothing in the running portal does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing.rules import Rule

from portal import plugin_manager

_original_compile_builder = Rule._compile_builder
_builders: dict[Hashable, Callable[..., Any]] = {}


def _rule_key(rule: Rule, append_unknown: bool) -> Hashable:
    converters = tuple(sorted((name, type(each).__qualname__) for name, each in rule._converters.items()))
    return (tuple(rule._trace), repr(sorted((rule.defaults or {}).items())), converters, append_unknown)


def _compile_builder_once(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
    key = _rule_key(self, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _original_compile_builder(self, append_unknown)
    return builder


def share_route_builders() -> None:
    """Let every app of this process reuse the builders compiled for equal rules."""
    Rule._compile_builder = _compile_builder_once  # type: ignore[method-assign]


def share_installed_plugins() -> None:
    """Find the installed plugins' entry points once per process: the packages do not change during
    a run, and scanning every installed package's metadata was a twentieth of a second per app.

    Tests that add a stand-in plugin replace ``portal.plugin_manager.entry_points`` and call this
    one for the real plugins, as before.
    """
    found: dict[Hashable, list[EntryPoint]] = {}

    def installed_entry_points(**selection: Any) -> list[EntryPoint]:
        key = tuple(sorted(selection.items()))
        if key not in found:
            found[key] = list(entry_points(**selection))  # type: ignore[arg-type]
        return found[key]

    plugin_manager.entry_points = installed_entry_points  # type: ignore[assignment]


class _ProcessTemplateCode(BytecodeCache):
    """Compiled templates kept in this process's memory, for every app it makes."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_template_code = _ProcessTemplateCode()


def share_template_code(app: Flask) -> None:
    """Let ``app`` take templates another app of this process compiled already."""
    app.jinja_env.bytecode_cache = _template_code
