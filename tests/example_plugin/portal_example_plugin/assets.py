"""The stylesheet of the notes pages, linked on those pages only and nowhere else."""

from __future__ import annotations

from flask import url_for

from portal.plugin import PageAssets

# The endpoints whose pages list notes; the dashboard and every other page do without the file.
NOTES_PAGES = frozenset({"example.notes", "example_notes.shared", "example_notes.note"})


def page_assets(endpoint: str) -> PageAssets | None:
    """``example.css`` for the notes pages; ``None`` for any other page."""
    if endpoint not in NOTES_PAGES:
        return None
    return PageAssets(css=(url_for("example.static", filename="example.css"),))
