"""Links: absolute ones for mail and notifications (also from jobs and ticks), and local-path checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for ``endpoint``: the host the person used, or PORTAL_BASE_URL outside a request.

    A link in a mail sent from ``portal tick`` or an event handler has no request to take its host
    from; the deployment's public address says where customers reach the portal.
    """
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this portal (``/tickets/12``), else ``None``.

    Whatever a link or a plugin hands over as a place to send someone (``?next=``, a "back" field, a
    notification's url) goes through here, so no one is sent to another site. Browsers read ``//host``
    and ``/\\host`` as links to ``host`` and drop tabs and newlines inside a URL, so those are refused
    along with anything that does not start with ``/`` or that names a scheme or a host.
    """
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in target)
    ):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
