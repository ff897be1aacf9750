"""Response headers that make the browser refuse what the portal never does on purpose."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request, session

from portal.plugin_manager import serves_static_files

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)

# A signed-in person's pages hold their data: neither a shared computer's disk cache nor a proxy may
# keep them. A view that chose its own value (a stored file's "private, no-cache", which lets the
# browser revalidate a large download) keeps it.
PRIVATE = "private, no-store"


def install_security_headers(app: Flask) -> None:
    """Add the headers to every response; a view may set a stricter value of its own first.

    Every response to a signed-in person is ``private, no-store`` unless the view chose its own
    caching; static files keep Flask's. A visitor's pages are ``no-store`` too (they carry a CSRF
    token), but need no ``private``.
    """
    production = app.config["PORTAL_ENV"] == "production"

    @app.after_request
    def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if _is_static_file() or "Cache-Control" in headers:
            return response
        if _signed_in():
            headers["Cache-Control"] = PRIVATE
        elif response.mimetype == "text/html":
            headers["Cache-Control"] = "no-store"
        return response


def _is_static_file() -> bool:
    """Whether the core's or a plugin's static folder answered this request."""
    endpoint = request.endpoint
    return endpoint is not None and serves_static_files(endpoint, current_app.view_functions.get(endpoint))


def _signed_in() -> bool:
    """Whether the response is for a signed-in person, decided without a database query of its own.

    Loading the user here could fail the very response that reports the database being down, so
    this reads only what the request already knows: the user Flask-Login loaded for it, if any, or
    the session's account id.
    """
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded for this request
    if user is not None:
        return bool(user.is_authenticated)
    return "_user_id" in session
