"""Error pages that tell a person what happened and what to do, never a stack trace."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, Response, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from portal.api.problems import is_api_request, problem, problem_for
from portal.database import db
from portal.extensions import login_manager
from portal.htmx import is_htmx_request

log = logging.getLogger(__name__)

# The page for "the database cannot be reached", in static/ so nginx can serve it too when the
# portal does not answer at all. Read once at start: serving it needs nothing at all.
UNAVAILABLE_PAGE = "unavailable.html"
UNAVAILABLE_RETRY_AFTER_SECONDS = 30
# What SQLAlchemy raises when the database server is down, unreachable or dropped the connection.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("Something in that request was not right"),
            _("Go back and try again. Your browser usually keeps what you typed."),
        ),
        403: (
            _("This page is not for your account"),
            _("If you think you should see it, ask an administrator to check your role."),
        ),
        404: (
            _("We cannot find that page"),
            _("It may have moved, or the address may be mistyped. Start again from the dashboard."),
        ),
        405: (_("That action is not possible here"), _("Go back and use the buttons on the page.")),
        413: (_("That upload is too large"), _("Choose a smaller file and try again.")),
        429: (_("Too many attempts"), _("For your security, please wait a few minutes before trying again.")),
        500: (
            _("Something went wrong on our side"),
            _("Nothing you sent was lost. Please try again in a moment."),
        ),
    }


# Where the layout keeps room for a problem with an htmx request (see templates/layout.html).
PROBLEM_BOX = "#request-problem"


def install_error_pages(app: Flask) -> None:
    def render(status: int, detail: str | None = None):
        title, advice = _messages().get(status, _messages()[400 if status < 500 else 500])
        if is_htmx_request():
            # An htmx request swaps its answer into part of the page: a whole error page there would
            # nest a page in a card and could replace the form the person was filling in. The problem
            # goes to the page's problem box instead, and the form keeps what they typed.
            body = render_template("errors/problem.html", title=title, advice=detail or advice)
            return body, status, {"HX-Retarget": PROBLEM_BOX, "HX-Reswap": "innerHTML"}
        return render_template(
            "errors/error.html", status=status, title=title, advice=advice, detail=detail
        ), status

    unavailable_page = (Path(app.static_folder or "static") / UNAVAILABLE_PAGE).read_bytes()

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unreachable(error: Exception):
        """The static page, 503: a page that needs the database (or the session) could only fail again."""
        log.error("The database cannot be reached: %s", str(error).strip().splitlines()[0])
        # Nothing after this may look the signed-in person up: that would ask the database again.
        login_manager._update_request_context_with_user()  # Flask-Login's own "anonymous from here on"
        try:
            db.session.rollback()
        except SQLAlchemyError:
            log.warning("Rolling back after the database went away failed too.", exc_info=True)
        if is_api_request():
            answer = problem(503)
            answer.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
            return answer
        return Response(
            unavailable_page,
            503,
            mimetype="text/html",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if is_htmx_request():
            return render(
                400,
                _("This page has expired. Keep a copy of what you typed, reload the page and send it again."),
            )
        return render(
            400, _("The form expired or did not come from this site. Reload the page and send it again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(getattr(error, "original_exception", None), DATABASE_UNREACHABLE):
            # Raised by another error handler (a 404 page's layout asked for the signed-in person).
            return database_unreachable(error.original_exception)  # type: ignore[attr-defined]
        if error.code == 304:
            return Response(status=304)  # an API read's ETag matched If-None-Match: nothing to send
        if (error.code or 500) >= 500:
            db.session.rollback()
        retry_after = getattr(error, "retry_after", None)
        if is_api_request():
            answer = problem_for(error)
            if error.code == 429 and retry_after:
                answer.headers["Retry-After"] = str(retry_after)
            return answer
        body, status, *headers = render(error.code or 500)
        extra = dict(headers[0]) if headers else {}
        if error.code == 429 and retry_after:
            extra["Retry-After"] = str(retry_after)
        return body, status, extra
