"""`make screenshots` stays runnable: its module imports, its pages are routes, and `make test` skips it."""

from __future__ import annotations

from pathlib import Path

import pytest
import screenshots  # tests/e2e/screenshots.py, importable because pytest puts this folder on the path

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.plugins("tickets", "loyalty", "documents", "surveys", "appointments")


def test_every_pictured_page_is_a_route_of_the_app(app):
    adapter = app.url_map.bind("portal.example")
    sample_ids = dict.fromkeys(screenshots.ID_NAMES, 7)
    for shot in screenshots.SHOTS:
        endpoint, _arguments = adapter.match(shot.path.format(**sample_ids))
        assert endpoint != "static", shot
        assert shot.viewer in ("customer", "staff"), shot


def test_the_pictures_have_stable_distinct_names_in_both_languages_and_sizes():
    names = screenshots.all_file_names()
    assert len(names) == len(set(names)) == len(screenshots.SHOTS) * 2 * 2
    assert "staff-customer-360-fa-phone.png" in names
    assert screenshots.SIZES == {"desktop": (1366, 900), "phone": (390, 844)}


def test_the_normal_run_does_not_take_pictures_and_make_screenshots_does():
    assert not Path(screenshots.__file__).name.startswith("test_"), "pytest would collect it in `make test`"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "screenshots:" in makefile and "tests/e2e/screenshots.py" in makefile
