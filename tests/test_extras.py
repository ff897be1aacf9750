"""Package extras: the embedded default runs without PostgreSQL, Redis or S3 clients, and a setting that
names one of those services without its extra stops the start with the pip command that fixes it.

The console script runs in a subprocess whose ``sitecustomize`` hides the optional packages
(``sys.modules[name] = None`` makes every import of them fail), as if the extra were not installed;
nothing is uninstalled.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PORTAL = Path(sys.executable).parent / "portal"
OPTIONAL_PACKAGES = ("psycopg", "redis", "rq", "boto3", "botocore")
HIDE_PACKAGES = """
import os, sys
for name in os.environ.get("HIDE_PACKAGES", "").split():
    sys.modules[name] = None
"""


def run_portal(
    tmp_path: Path, *args: str, hide: tuple[str, ...], **settings: str
) -> subprocess.CompletedProcess:
    """Run ``portal ARGS`` with ``hide`` not importable and only ``settings`` as PORTAL_* configuration."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(HIDE_PACKAGES)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        PYTHONPATH=str(site),
        HIDE_PACKAGES=" ".join(hide),
        PORTAL_INSTANCE_PATH=str(tmp_path / "instance"),
        **settings,
    )
    return subprocess.run(
        [str(PORTAL), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_embedded_default_migrates_loads_the_demo_and_serves_without_the_extras(tmp_path):
    for command in (("migrate",), ("demo",)):
        result = run_portal(tmp_path, *command, hide=OPTIONAL_PACKAGES)
        assert result.returncode == 0, result.stderr
    result = run_portal(tmp_path, "demo", hide=OPTIONAL_PACKAGES)
    assert "Demo data ready" in result.stdout
    result = run_portal(tmp_path, "routes", hide=OPTIONAL_PACKAGES)
    assert result.returncode == 0, result.stderr
    assert "/login" in result.stdout


def test_a_plugins_own_tests_get_the_portal_fixtures_without_the_extras(tmp_path):
    (tmp_path / "test_plugin_page.py").write_text(
        "def test_sign_in_page(client):\n    assert client.get('/login').status_code == 200\n"
    )
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE_PACKAGES)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(PYTHONPATH=str(site), HIDE_PACKAGES=" ".join(OPTIONAL_PACKAGES))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plugin_page.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.parametrize(
    ("hidden", "setting", "value", "extra"),
    [
        ("psycopg", "PORTAL_DATABASE_URL", "postgresql://portal@127.0.0.1:5432/portal", "postgres"),
        ("redis", "PORTAL_REDIS_URL", "redis://127.0.0.1:6379/0", "redis"),
        ("rq", "PORTAL_REDIS_URL", "redis://127.0.0.1:6379/0", "redis"),
        ("boto3", "PORTAL_STORAGE_URL", "s3://portal-files", "s3"),
    ],
)
def test_a_service_without_its_extra_stops_the_start_naming_the_extra(
    tmp_path, hidden, setting, value, extra
):
    result = run_portal(tmp_path, "routes", hide=(hidden,), **{setting: value})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"pip install 'customer-portal[{extra}]'" in result.stderr
    assert setting in result.stderr and repr(hidden) in result.stderr
