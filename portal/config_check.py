"""``portal check``: every problem of a deployment's configuration at once, before it serves anyone.

Starting the portal stops at the first problem, which is right for a server but slow for the person
setting one up: fix, restart, meet the next. The check reads the settings without starting, lists each
problem with the setting to change, then (if the portal can start at all) asks each service it needs:
the database and its migrations, Redis, the file storage and the mail server.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from portal.config import (
    POSTGRES,
    REDIS,
    S3,
    ConfigError,
    gather_settings,
    mail_url_problem,
    missing_extra,
    normalise_database_url,
    production_problems,
)
from portal.database import db
from portal.plugin_manager import ENTRY_POINT_GROUP, PluginError
from portal.request_ids import LOG_FORMATS
from portal.service_checks import ServiceUnreachableError, check_database, check_redis
from portal.webhooks.destinations import allowed_networks
from portal.zone_choices import is_zone

TRANSLATIONS = Path(__file__).parent / "translations"
SERVICE_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Problem:
    """One thing to fix: the setting (or service) it concerns and what to do."""

    setting: str
    message: str


def settings_problems(cfg: dict[str, Any]) -> list[Problem]:
    """What is wrong in the settings themselves, found without connecting to anything."""
    production = cfg["PORTAL_ENV"] == "production"
    problems = [Problem(setting, text) for setting, text in (production_problems(cfg) if production else [])]
    if (mail := mail_url_problem(cfg["PORTAL_MAIL_URL"])) is not None:
        problems.append(Problem("PORTAL_MAIL_URL", mail))
    database_url = normalise_database_url(cfg["PORTAL_DATABASE_URL"] or "")
    for extra, setting, wanted in (
        (POSTGRES, "PORTAL_DATABASE_URL", database_url.startswith("postgresql")),
        (REDIS, "PORTAL_REDIS_URL", bool(cfg["PORTAL_REDIS_URL"])),
        (S3, "PORTAL_STORAGE_URL", str(cfg["PORTAL_STORAGE_URL"] or "").startswith("s3://")),
    ):
        if wanted and (missing := missing_extra(extra, setting)) is not None:
            problems.append(Problem(setting, missing))
    problems += _plugin_problems(cfg["PORTAL_PLUGINS"])
    problems += _language_problems(cfg["PORTAL_LANGUAGES"], cfg["PORTAL_DEFAULT_LANGUAGE"])
    problems += _number_problems(cfg)
    if not is_zone(str(cfg["PORTAL_DEFAULT_TIMEZONE"])):
        problems.append(
            Problem(
                "PORTAL_DEFAULT_TIMEZONE",
                f"{cfg['PORTAL_DEFAULT_TIMEZONE']!r} is not a time zone; use a name such as Europe/Berlin.",
            )
        )
    if cfg["PORTAL_LOG_FORMAT"] not in LOG_FORMATS:
        problems.append(
            Problem("PORTAL_LOG_FORMAT", f"is {cfg['PORTAL_LOG_FORMAT']!r}; use {' or '.join(LOG_FORMATS)}.")
        )
    if production:
        problems += _production_address_problems(cfg)
    return problems


def service_problems(app: Flask) -> list[Problem]:
    """What does not answer among the services the started portal needs."""
    problems: list[Problem] = []
    for setting, probe in (
        ("PORTAL_DATABASE_URL", _database),
        ("PORTAL_REDIS_URL", _redis),
        ("PORTAL_STORAGE_URL", _storage),
        ("PORTAL_MAIL_URL", _mail),
    ):
        message = probe(app)
        if message:
            problems.append(Problem(setting, message))
    return problems


def check_configuration(instance_path: str, make_app: Callable[[], Flask]) -> list[Problem]:
    """Every problem found; the services are asked only when the settings let the portal start."""
    problems = settings_problems(gather_settings(instance_path))
    if problems:
        return problems
    try:
        app = make_app()
    except (ConfigError, PluginError) as error:
        return [Problem("configuration", str(error))]
    return service_problems(app)


def _plugin_problems(names: list[str]) -> list[Problem]:
    installed = {point.name for point in entry_points(group=ENTRY_POINT_GROUP)}
    missing = sorted(set(names) - installed)
    if not missing:
        return []
    return [
        Problem(
            "PORTAL_PLUGINS",
            f"names plugins that are not installed: {', '.join(missing)}. "
            f"Installed: {', '.join(sorted(installed))}.",
        )
    ]


def _language_problems(languages: list[str], default: str) -> list[Problem]:
    offered = {"en"} | {path.name for path in TRANSLATIONS.iterdir() if (path / "LC_MESSAGES").is_dir()}
    problems = [
        Problem(
            "PORTAL_LANGUAGES",
            f"{code!r} has no translation; the portal offers {', '.join(sorted(offered))}.",
        )
        for code in languages
        if code not in offered
    ]
    if default not in languages:
        problems.append(
            Problem(
                "PORTAL_DEFAULT_LANGUAGE",
                f"{default!r} is not one of PORTAL_LANGUAGES ({', '.join(languages)}).",
            )
        )
    return problems


def _number_problems(cfg: dict[str, Any]) -> list[Problem]:
    problems = []
    for setting, least in (
        ("PORTAL_PROXY_HOPS", 0),
        ("PORTAL_REMEMBER_DAYS", 1),
        ("PORTAL_VERIFY_TOKEN_MAX_AGE", 60),
        ("PORTAL_RESET_TOKEN_MAX_AGE", 60),
        ("PORTAL_MAIL_IN_MAX_BYTES", 1024),
        ("PORTAL_WEBHOOK_DISABLE_AFTER", 1),
        ("PORTAL_WEBHOOK_TIMEOUT", 1),
    ):
        value = cfg[setting]
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            problems.append(Problem(setting, f"must be a whole number of at least {least}, not {value!r}."))
    try:
        allowed_networks(cfg["PORTAL_WEBHOOK_ALLOWED_NETWORKS"])
    except ValueError as error:
        problems.append(Problem("PORTAL_WEBHOOK_ALLOWED_NETWORKS", str(error)))
    return problems


def _production_address_problems(cfg: dict[str, Any]) -> list[Problem]:
    problems = []
    if urlsplit(str(cfg["PORTAL_BASE_URL"])).scheme != "https":
        problems.append(
            Problem(
                "PORTAL_BASE_URL",
                f"is {cfg['PORTAL_BASE_URL']!r}: links in mail would send customers to an address without "
                "HTTPS. Set the address customers use, https://…",
            )
        )
    if cfg["PORTAL_SECURE_COOKIES"] is False:
        problems.append(
            Problem(
                "PORTAL_SECURE_COOKIES", "is off in production: sign-in cookies would travel without HTTPS."
            )
        )
    return problems


def _database(app: Flask) -> str | None:
    try:
        check_database(app)
    except ServiceUnreachableError as error:
        return str(error)
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        with db.engine.connect() as connection:
            applied = set(MigrationContext.configure(connection).get_current_heads())
        db.engine.dispose()
        pending = set(script.get_heads()) - applied
    if pending:
        return f"the database lacks migrations ({', '.join(sorted(pending))}): run 'portal migrate'."
    return None


def _redis(app: Flask) -> str | None:
    try:
        check_redis(app)
    except ServiceUnreachableError as error:
        return str(error)
    return None


def _storage(app: Flask) -> str | None:
    from portal.storage import StorageError, storage

    with app.app_context():
        try:
            storage().check_ready()
        except StorageError as error:
            return f"the file storage does not answer: {error}."
    return None


def _mail(app: Flask) -> str | None:
    url = urlsplit(app.config["PORTAL_MAIL_URL"])
    if not url.scheme:
        return None
    client_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    try:
        with client_class(url.hostname or "", url.port or 0, timeout=SERVICE_TIMEOUT_SECONDS) as client:
            client.ehlo()
    except (OSError, smtplib.SMTPException) as error:
        where = f"{url.hostname}:{url.port}" if url.port else str(url.hostname)
        return f"the mail server at {where} does not answer: {error or type(error).__name__}."
    return None
