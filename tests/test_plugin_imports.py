"""Plugins are written against portal.plugin only, and never import each other.

The facade is the core's promise to plugin authors: anything else of ``portal`` may change without
notice, and a plugin that reaches past it breaks on the next release. A plugin that imports another
plugin stops working when that one is switched off or uninstalled. This walks the syntax tree of
every module of the built-in plugins and of the example plugin (a third party's shape), so a
violation fails with the file and line, before any review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FACADE = "portal.plugin"
PLUGIN_PACKAGES = {
    "plugins": ROOT / "plugins",
    "portal_example_plugin": ROOT / "tests" / "example_plugin" / "portal_example_plugin",
}


def plugin_of(path: Path) -> str:
    """The plugin package a module belongs to: ``plugins.tickets`` or ``portal_example_plugin``."""
    relative = path.relative_to(ROOT)
    if relative.parts[0] == "plugins":
        return f"plugins.{relative.parts[1]}" if len(relative.parts) > 2 else "plugins"
    return "portal_example_plugin"


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """Each absolute module an import statement names, with its line (relative imports stay inside)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            # ``from portal import accounts`` and ``from plugins import loyalty`` name a module too.
            if node.module in ("portal", "plugins"):
                found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def problems_in(source: str, filename: str, own_plugin: str) -> list[str]:
    """What in ``source`` breaks the rule, each as ``file:line: reason``."""
    messages = []
    for line, module in imported_names(ast.parse(source, filename=filename)):
        top = module.split(".")[0]
        if (
            top == "portal"
            and module != FACADE
            and module != "portal"
            and not module.startswith(FACADE + ".")
        ):
            messages.append(f"{filename}:{line}: imports {module}; plugins import only {FACADE} of the core")
        elif module == "portal":
            continue
        elif top == "plugins" and module.count(".") >= 1:
            other = ".".join(module.split(".")[:2])
            if other != own_plugin:
                messages.append(f"{filename}:{line}: imports {module}; plugins never import another plugin")
        elif top == "portal_example_plugin" and own_plugin != "portal_example_plugin":
            messages.append(f"{filename}:{line}: imports {module}; plugins never import another plugin")
    return messages


def plugin_modules() -> list[Path]:
    return sorted(path for folder in PLUGIN_PACKAGES.values() for path in folder.rglob("*.py"))


def test_there_are_plugin_modules_to_check():
    names = {path.relative_to(ROOT).as_posix() for path in plugin_modules()}
    assert "plugins/appointments/__init__.py" in names
    assert "tests/example_plugin/portal_example_plugin/__init__.py" in names


def test_plugins_import_only_the_facade_of_the_core_and_no_other_plugin():
    problems = []
    for path in plugin_modules():
        source = path.read_text(encoding="utf-8")
        problems += problems_in(source, path.relative_to(ROOT).as_posix(), plugin_of(path))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("from portal.database import db\n", "imports portal.database"),
        ("import portal.accounts.models\n", "imports portal.accounts.models"),
        ("from portal import audit\n", "imports portal.audit"),
        ("def later(): from portal.events import emit\n", "imports portal.events"),
        ("from plugins.loyalty import ledger\n", "never import another plugin"),
        ("from plugins import loyalty\n", "never import another plugin"),
        ("import portal_example_plugin.models\n", "never import another plugin"),
    ],
)
def test_a_forbidden_import_is_reported_with_its_file_and_line(source, reason):
    [problem] = problems_in("\n" + source, "plugins/bad/views.py", "plugins.bad")
    assert problem.startswith("plugins/bad/views.py:2: ")
    assert reason in problem


@pytest.mark.parametrize(
    "source",
    [
        "from portal.plugin import db, hookimpl\n",
        "import portal.plugin\n",
        "from . import service\n",
        "from .models import Slot\n",
        "from plugins.bad.models import Thing\n",
        "from flask import Blueprint\n",
    ],
)
def test_allowed_imports_pass(source):
    assert problems_in(source, "plugins/bad/views.py", "plugins.bad") == []
