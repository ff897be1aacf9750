"""Which link of a navigation stands for the page being shown, so templates can mark it.

A navigation (the main menu, the staff console's menu, the account tabs) marks the link of the
current page with ``aria-current`` so a screen reader announces it and the design system styles it.
Only one link of a navigation may be marked, and it must be the closest: on ``/staff/tickets/5``
the staff menu marks "Tickets" (``/staff/tickets/``), not "Overview" (``/staff/``).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, has_request_context, request


def _covers(link_path: str, path: str) -> bool:
    """Whether ``path`` is the page ``link_path`` names or a page below it (whole segments only)."""
    if path == link_path or path.rstrip("/") == link_path.rstrip("/"):
        return True
    section = link_path if link_path.endswith("/") else link_path + "/"
    return path.startswith(section)


def current_link(urls: Iterable[str], path: str) -> tuple[str | None, str | None]:
    """The url among ``urls`` closest to ``path``, and its ``aria-current`` value.

    ``"page"`` when the url is the page itself, ``"true"`` when the page lies below it (a ticket
    under the ticket list); ``(None, None)`` when no link covers the page.
    """
    best: str | None = None
    best_length = -1
    for url in urls:
        link_path = urlsplit(url).path
        if link_path and _covers(link_path, path) and len(link_path.rstrip("/")) > best_length:
            best, best_length = url, len(link_path.rstrip("/"))
    if best is None:
        return None, None
    exact = urlsplit(best).path.rstrip("/") == path.rstrip("/")
    return best, "page" if exact else "true"


def nav_current(urls: Iterable[str]) -> dict[str, str]:
    """Template helper: ``{url: aria-current value}`` for the one link of ``urls`` that is current."""
    if not has_request_context():
        return {}
    url, state = current_link(list(urls), request.path)
    return {url: state} if url is not None and state is not None else {}


def install_navigation(app: Flask) -> None:
    """Make ``nav_current`` available to every template (used by the nav macros in components.html)."""
    app.jinja_env.globals["nav_current"] = nav_current
