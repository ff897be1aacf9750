"""Checks that the services a server command needs answer, run before it starts serving.

A database or Redis that cannot be reached is then reported once, at start, in one line that names
the setting to fix, instead of being discovered by the first customer or buried in a traceback.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from portal.database import db

CHECK_TIMEOUT_SECONDS = 5


class ServiceUnreachableError(RuntimeError):
    """A service the portal needs did not answer; the message says which, where, and what to check."""


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0].strip() if lines else type(cause).__name__


def database_url_for_people(url: str) -> str:
    """The database URL with its password replaced by ***, fit for a log or a terminal."""
    parsed = make_url(url)
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


def redis_url_for_people(url: str) -> str:
    """The Redis URL with its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def check_database(app: Flask) -> None:
    """Open one connection and run ``SELECT 1``; raise ServiceUnreachableError if that fails."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            raise ServiceUnreachableError(
                f"The database at {database_url_for_people(url)} cannot be reached: {_first_line(error)}; "
                "check PORTAL_DATABASE_URL"
            ) from error
        finally:
            db.engine.dispose()  # a forking server must not share this connection with its workers


def check_redis(app: Flask) -> None:
    """Ping PORTAL_REDIS_URL if it is set; raise ServiceUnreachableError if Redis does not answer."""
    url = app.config["PORTAL_REDIS_URL"]
    if not url:
        return
    # redis comes with the redis extra, which load_config has required once PORTAL_REDIS_URL is set.
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(
        url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except (RedisError, OSError) as error:
        raise ServiceUnreachableError(
            f"Redis at {redis_url_for_people(url)} cannot be reached: {_first_line(error)}; "
            "check PORTAL_REDIS_URL"
        ) from error
    finally:
        client.close()


def check_services(app: Flask, redis: bool = False) -> None:
    """Check the database, and Redis too when the command needs it (``portal worker``, ``portal tick``)."""
    check_database(app)
    if redis:
        check_redis(app)
