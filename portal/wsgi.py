"""The WSGI entry point for gunicorn and other servers: ``gunicorn portal.wsgi:app``."""

from portal.app import create_app

app = create_app()
