"""The hook reference, the hook tests and the example plugin cannot drift away from portal/hookspecs.py."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import portal_example_plugin
import pytest

from portal import hookspecs

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "plugins.md"
TEST_FILES = sorted((ROOT / "tests").rglob("test_*.py"))

HOOKSPECS = {name: value for name, value in vars(hookspecs).items() if hasattr(value, "portal_spec")}


def documented_hooks() -> list[str]:
    """The hooks docs/plugins.md has a ``### portal_…`` section for, in the order they appear."""
    return re.findall(r"^### (portal_\w+)\s*$", GUIDE.read_text(encoding="utf-8"), re.M)


def hook_test_names() -> set[str]:
    """Test functions anywhere under tests/, read from their syntax trees without running them.

    The core's own hooks are tested in tests/test_plugin_hooks.py; a service's hooks may be tested
    beside the service (tests/test_events.py, say).
    """
    names = set()
    for path in TEST_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        }
    return names


def test_hookspecs_are_found():
    # Guards the checks below: an empty set of hookspecs would make every one of them pass.
    assert "portal_nav_items" in HOOKSPECS
    assert len(HOOKSPECS) >= 10


@pytest.mark.parametrize("hook", sorted(HOOKSPECS))
def test_hook_is_documented_in_the_guide(hook):
    assert hook in documented_hooks(), f"docs/plugins.md has no '### {hook}' section"


def test_guide_documents_only_hooks_that_exist():
    documented = documented_hooks()
    assert sorted(set(documented) - set(HOOKSPECS)) == [], "docs/plugins.md describes hooks that do not exist"
    assert len(documented) == len(set(documented)), "a hook has two sections in docs/plugins.md"


@pytest.mark.parametrize("hook", sorted(HOOKSPECS))
def test_hookspec_has_a_docstring(hook):
    assert inspect.getdoc(HOOKSPECS[hook]), f"{hook} in portal/hookspecs.py has no docstring"


@pytest.mark.parametrize("hook", sorted(HOOKSPECS))
def test_hook_has_its_own_test(hook):
    names = hook_test_names()
    assert any(name == f"test_{hook}" or name.startswith(f"test_{hook}_") for name in names), (
        f"no test under tests/ is named test_{hook}_…"
    )


@pytest.mark.parametrize("hook", sorted(HOOKSPECS))
def test_example_plugin_implements_the_hook(hook):
    implementation = getattr(portal_example_plugin, hook, None)
    assert implementation is not None and hasattr(implementation, "portal_impl"), (
        f"tests/example_plugin does not implement {hook}"
    )


# --- The event reference ------------------------------------------------------------------------

EVENT_REFERENCE = ROOT / "docs" / "events.md"


def test_event_reference_matches_the_declarations(app):
    """docs/events.md is written by ``portal events reference``: a changed declaration needs new docs."""
    result = app.test_cli_runner().invoke(args=["events", "reference"])
    assert result.exit_code == 0, result.output
    assert "### `tickets.rated`" in result.output and "`rated:<ticket_id>`" in result.output
    assert "example.note_added" not in result.output, "only the portal's own plugins are described"
    assert EVENT_REFERENCE.read_text(encoding="utf-8") == result.output, (
        "docs/events.md is out of date: run `portal events reference > docs/events.md`"
    )


def test_guide_links_to_the_event_reference():
    assert "(events.md)" in GUIDE.read_text(encoding="utf-8")
