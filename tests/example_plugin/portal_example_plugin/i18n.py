"""Where the plugin keeps its own catalogues: a plugin's strings are never in the portal's catalogue.

Compile them with ``pybabel compile -d portal_example_plugin/translations`` (``make`` does it here);
a wheel must carry the ``.mo`` files, as ``pyproject.toml`` says.
"""

from __future__ import annotations

from pathlib import Path

TRANSLATIONS_FOLDER = Path(__file__).parent / "translations"
