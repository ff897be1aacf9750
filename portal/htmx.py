"""Telling htmx's requests apart, so views and error pages answer them with fragments, not pages."""

from __future__ import annotations

from flask import request


def is_htmx_request() -> bool:
    """htmx marks its requests, so a view can answer with a fragment instead of a whole page."""
    return request.headers.get("HX-Request") == "true"
