"""The WSGI entry point for gunicorn and other servers: ``gunicorn portal.wsgi:app``.

The database is checked before the server takes requests: a wrong PORTAL_DATABASE_URL stops it with
one line on stderr instead of greeting the first customer with an error.
"""

from portal.app import create_app
from portal.service_checks import ServiceUnreachableError, check_database

app = create_app()
try:
    check_database(app)
except ServiceUnreachableError as error:
    raise SystemExit(str(error)) from None
