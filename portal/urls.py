"""Absolute links for mail and notifications, also from jobs and scheduled tasks."""

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
