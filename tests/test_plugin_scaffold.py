"""``portal plugin new NAME`` writes a plugin that passes its own ``make test`` and ruff at once, and
refuses a name that cannot be a plugin's without writing anything.

The new plugin is installed into a virtualenv of its own made for the test, which sees the portal's
packages through a ``.pth`` file; it never enters the virtualenv that runs this suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.cli import main
from portal.testing.browser import CHROMIUM

PORTAL = str(Path(sys.executable).parent / "portal")
BACKENDS = 2 if os.environ.get("PORTAL_TEST_DATABASE_URL") else 1
# tests/test_demo.py, and the browser journey where chromium is (it is skipped elsewhere), per backend
SCAFFOLD_TESTS = 9 + (1 if os.access(CHROMIUM, os.X_OK) else 0)


def run(command: list[str], cwd: Path, timeout: int = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def venv_seeing_the_portal(folder: Path) -> Path:
    """A new virtualenv whose Python also imports everything installed next to this suite."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = sysconfig.get_path("purelib")
    # An "import" line runs at start; addsitedir also reads the .pth files there (editable installs).
    (Path(purelib) / "portal-checkout.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return folder


def test_a_new_plugin_passes_its_own_make_test(tmp_path: Path) -> None:
    assert shutil.which("make"), "the scaffold's tests run through its Makefile"
    made = run([PORTAL, "plugin", "new", "demo"], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "make test" in made.stdout
    folder = tmp_path / "portal-demo"

    venv = venv_seeing_the_portal(tmp_path / "venv")
    tested = run(
        [
            "make",
            "test",
            f"VENV={venv}",
            "PORTAL_REQUIREMENT=",  # the portal is already importable from the virtualenv
            "PIP_FLAGS=--no-build-isolation --no-index --quiet",
        ],
        cwd=folder,
    )
    assert tested.returncode == 0, tested.stdout[-6000:] + tested.stderr[-3000:]
    assert "All checks passed!" in tested.stdout
    assert f"{SCAFFOLD_TESTS * BACKENDS} passed" in tested.stdout, tested.stdout[-3000:]
    assert not (Path(sysconfig.get_path("purelib")) / "__editable__.portal_demo-0.1.0.pth").exists()


def test_a_plugin_with_the_longest_name_is_clean_for_ruff(tmp_path: Path) -> None:
    name = "a_plugin_with_a_name_this_long"
    assert len(name) == 30
    result = CliRunner().invoke(main, ["plugin", "new", name, "--into", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / f"portal-{name}"
    checked = run([sys.executable, "-m", "ruff", "check", "."], cwd=folder)
    assert checked.returncode == 0, checked.stdout
    formatted = run([sys.executable, "-m", "ruff", "format", "--check", "."], cwd=folder)
    assert formatted.returncode == 0, formatted.stdout
    migration = (folder / name / "migrations" / f"{name}_0001_items.py").read_text()
    assert f'branch_labels = ("{name}",)' in migration and 'depends_on = "core_0001"' in migration
    assert (folder / name / "translations" / "fa" / "LC_MESSAGES" / "messages.mo").exists()


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("Demo", "use lowercase letters and digits"),
        ("my plugin", "use lowercase letters and digits"),
        ("my-plugin", "use lowercase letters and digits"),
        ("my__plugin", "words joined by one underscore"),
        ("a" * 31, "at most 30 characters"),
        ("tickets", "A plugin named 'tickets' is already installed"),
        ("example", "A plugin named 'example' is already installed"),
        ("json", "taken by Python or the portal itself"),
        ("class", "taken by Python or the portal itself"),
        ("portal", "taken by Python or the portal itself"),
        ("account", "taken by Python or the portal itself"),
        ("flask", "A Python package named 'flask' is already installed"),
    ],
)
def test_a_name_that_cannot_be_a_plugins_is_refused_and_nothing_is_written(
    tmp_path: Path, name: str, said: str
) -> None:
    result = CliRunner().invoke(main, ["plugin", "new", name, "--into", str(tmp_path)])
    assert result.exit_code == 1
    assert said in result.output
    assert "choose another name" in result.output or "e.g. 'gift_cards'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    existing = tmp_path / "portal-demo"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["plugin", "new", "demo", "--into", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{existing} already exists" in result.output
    assert [path.name for path in existing.iterdir()] == ["notes.txt"]
    assert (existing / "notes.txt").read_text() == "mine"
