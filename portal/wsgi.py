"""The WSGI entry point for gunicorn and other servers: ``gunicorn portal.wsgi:app``.

The database is checked before the server takes requests: a wrong PORTAL_DATABASE_URL stops it with
one line on stderr instead of greeting the first customer with an error.

What the start made (the app, its plugins, SQLAlchemy's mappers, CLDR and catalogue data: about
190,000 objects) lives as long as the worker, so it is moved out of the garbage collector's sight.
Otherwise every full collection walks all of it: on the ticket list that held up a request, and the
ones queued behind it, for about 120 ms once in every 500 requests; frozen, such a collection takes
about 3 ms.
"""

import gc

from portal.app import create_app
from portal.service_checks import ServiceUnreachableError, check_database

app = create_app()
try:
    check_database(app)
except ServiceUnreachableError as error:
    raise SystemExit(str(error)) from None
gc.freeze()
