"""Configuration: built-in defaults, then instance/portal.cfg, then PORTAL_* environment variables.

Every setting has one name (``PORTAL_…``) in all three places, so the docs, a config file and a
container's environment all say the same thing.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Config, Flask

from portal import rate_limit_memory  # registers the thread-safe in-process storage with limits

WEAK_SECRETS = {"", "dev", "secret", "change-me", "changeme", "development"}
MIN_SECRET_LENGTH = 32
# The bearer token Prometheus sends to /metrics; shorter ones could be guessed by asking often enough.
MIN_METRICS_TOKEN_LENGTH = 32

DEFAULTS: dict[str, Any] = {
    "PORTAL_ENV": "development",
    "PORTAL_DEBUG": False,
    "PORTAL_NAME": "Customer Portal",
    "PORTAL_SECRET_KEY": None,
    "PORTAL_DATABASE_URL": None,
    "PORTAL_PLUGINS": [
        "tickets",
        "loyalty",
        "documents",
        "surveys",
        "appointments",
        "helpcenter",
        "insights",
    ],
    "PORTAL_MAIL_URL": "",
    "PORTAL_MAIL_FROM": "Customer Portal <portal@localhost>",
    "PORTAL_MAIL_IN_ADDRESS": "",
    "PORTAL_MAIL_IN_MAX_BYTES": 25 * 1024 * 1024,
    "PORTAL_MAIL_IN_SENDER_LIMIT": 20,
    "PORTAL_MAIL_IMAP_URL": "",
    "PORTAL_REDIS_URL": "",
    "PORTAL_LANGUAGES": ["en", "fa"],
    "PORTAL_DEFAULT_LANGUAGE": "en",
    "PORTAL_DEFAULT_TIMEZONE": "UTC",
    "PORTAL_VERIFY_TOKEN_MAX_AGE": 48 * 3600,
    "PORTAL_RESET_TOKEN_MAX_AGE": 3600,
    "PORTAL_LOGIN_FAILURE_LIMIT": "5 per 15 minutes",
    "PORTAL_AUTH_IP_LIMIT": "60 per hour",
    "PORTAL_SECURE_COOKIES": None,
    "PORTAL_REMEMBER_DAYS": 30,
    "PORTAL_PROXY_HOPS": 0,
    "PORTAL_BASE_URL": "http://127.0.0.1:5000",
    "PORTAL_STORAGE_URL": "",
    "PORTAL_STORAGE_ACCEL_REDIRECT": "",
    "PORTAL_LOG_FORMAT": "text",
    "PORTAL_METRICS_TOKEN": "",
    "PORTAL_API_RATE_LIMIT": "600 per minute",
    "PORTAL_WEBHOOK_ALLOWED_NETWORKS": [],
    "PORTAL_WEBHOOK_DISABLE_AFTER": 20,
    "PORTAL_WEBHOOK_TIMEOUT": 10,
}


class ConfigError(RuntimeError):
    """The deployment's configuration is unsafe or incomplete; the message says what to change."""


@dataclass(frozen=True)
class Extra:
    """A package extra (``pip install 'customer-portal[NAME]'``): its modules and the service it serves.

    The embedded default (SQLite, files in instance/, mail to a folder) needs none of them.
    """

    name: str
    modules: tuple[str, ...]
    service: str


POSTGRES = Extra("postgres", ("psycopg",), "a PostgreSQL database")
REDIS = Extra("redis", ("redis", "rq"), "Redis")
S3 = Extra("s3", ("boto3",), "S3 object storage")


def require_extra(extra: Extra, setting: str) -> None:
    """Stop the start with the command that installs ``extra`` when one of its modules is missing.

    Checked when the setting is read, so a deployment that names PostgreSQL, Redis or S3 without the
    extra fails at start with one actionable line, not with an ImportError on the first request.
    ``setting`` is the key that asked for the service, so the message also says what to unset.
    """
    problem = missing_extra(extra, setting)
    if problem:
        raise ConfigError(problem)


def missing_extra(extra: Extra, setting: str) -> str | None:
    """What ``require_extra`` would stop for, or ``None``: for ``portal check``, which lists every problem."""
    for module in extra.modules:
        try:
            importlib.import_module(module)
        except ImportError:
            return (
                f"{setting} asks for {extra.service}, but the Python package {module!r} is not installed. "
                f"Install the {extra.name} extra: pip install 'customer-portal[{extra.name}]' "
                f"(or unset {setting})."
            )
    return None


def _parse_env_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value or []]


def gather_settings(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings as written: defaults, then instance/portal.cfg, then PORTAL_* variables, then overrides.

    Nothing is checked or derived yet, so ``portal check`` can read a configuration that would not start.
    """
    config = Config(instance_path, DEFAULTS)
    config.from_pyfile("portal.cfg", silent=True)
    for key, raw in os.environ.items():
        if key.startswith("PORTAL_") and not key.startswith("PORTAL_TEST_"):
            config[key] = _parse_env_value(raw)
    config.update(overrides or {})
    config["PORTAL_PLUGINS"] = _as_list(config["PORTAL_PLUGINS"])
    config["PORTAL_LANGUAGES"] = _as_list(config["PORTAL_LANGUAGES"])
    return dict(config)


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` in precedence order and derive the framework's own keys from ours.

    Overrides come last so tests and embedding code can pin a value whatever the environment says.
    """
    app.config.update(gather_settings(app.instance_path, overrides))
    cfg = app.config
    production = cfg["PORTAL_ENV"] == "production"
    check_mail_url(cfg["PORTAL_MAIL_URL"])
    check_webhook_networks(cfg["PORTAL_WEBHOOK_ALLOWED_NETWORKS"])
    if production:
        check_production_safety(cfg)
    cfg["SECRET_KEY"] = cfg["PORTAL_SECRET_KEY"] or _embedded_secret_key(Path(app.instance_path))
    cfg["DEBUG"] = bool(cfg["PORTAL_DEBUG"])
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        cfg["PORTAL_DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'portal.sqlite3'}"
    )
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://"):
        require_extra(POSTGRES, "PORTAL_DATABASE_URL")
    if cfg["PORTAL_REDIS_URL"]:
        require_extra(REDIS, "PORTAL_REDIS_URL")
    secure = cfg["PORTAL_SECURE_COOKIES"]
    secure = production if secure is None else bool(secure)
    cfg.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_DURATION=int(cfg["PORTAL_REMEMBER_DAYS"]) * 86400,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        MAX_CONTENT_LENGTH=cfg.get("MAX_CONTENT_LENGTH") or 32 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE=cfg["PORTAL_DEFAULT_LANGUAGE"],
        BABEL_DEFAULT_TIMEZONE=cfg["PORTAL_DEFAULT_TIMEZONE"],
        RATELIMIT_STORAGE_URI=cfg["PORTAL_REDIS_URL"] or f"{rate_limit_memory.SCHEME}://",
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down must not lock customers out: limits fall back to this process's memory (with a
        # logged warning) until Redis answers again, and an error in counting never fails a request.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    if cfg["PORTAL_REDIS_URL"]:
        # A Redis that does not answer (a dropped network) costs a request two seconds, not minutes.
        cfg.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2})


def check_production_safety(cfg: dict[str, Any]) -> None:
    """Refuse to run a production deployment that an attacker could sign cookies for or debug into."""
    problems = production_problems(cfg)
    if problems:
        raise ConfigError(problems[0][1])


def production_problems(cfg: dict[str, Any]) -> list[tuple[str, str]]:
    """Each setting that makes a production deployment unsafe to start, with what to change."""
    problems = []
    secret = cfg.get("PORTAL_SECRET_KEY") or ""
    if secret.strip().lower() in WEAK_SECRETS:
        problems.append(
            (
                "PORTAL_SECRET_KEY",
                "PORTAL_SECRET_KEY is missing or a well-known default. In production set it to a long "
                'random value, for example: python -c "import secrets; print(secrets.token_urlsafe(48))"',
            )
        )
    elif len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            (
                "PORTAL_SECRET_KEY",
                f"PORTAL_SECRET_KEY is {len(secret)} characters long; production needs at least "
                f"{MIN_SECRET_LENGTH} random characters.",
            )
        )
    if cfg.get("PORTAL_DEBUG"):
        problems.append(
            (
                "PORTAL_DEBUG",
                "PORTAL_DEBUG is on in production: the debugger would let anyone run code. Unset it.",
            )
        )
    metrics_token = str(cfg.get("PORTAL_METRICS_TOKEN") or "")
    if metrics_token and len(metrics_token) < MIN_METRICS_TOKEN_LENGTH:
        problems.append(
            (
                "PORTAL_METRICS_TOKEN",
                f"PORTAL_METRICS_TOKEN is {len(metrics_token)} characters long; production needs at least "
                f"{MIN_METRICS_TOKEN_LENGTH} random characters, for example: "
                'python -c "import secrets; print(secrets.token_urlsafe(32))"',
            )
        )
    return problems


def check_webhook_networks(setting: object) -> None:
    """Stop the start on a mistyped network, rather than refusing a receiver the operator meant to allow."""
    from portal.webhooks.destinations import allowed_networks

    try:
        allowed_networks(setting)
    except ValueError as error:
        raise ConfigError(str(error)) from error


def check_mail_url(url: str) -> None:
    """Catch a mistyped mail setting at start, not when the first customer is waiting for a link."""
    problem = mail_url_problem(url)
    if problem:
        raise ConfigError(problem)


def mail_url_problem(url: str) -> str | None:
    """What is wrong with PORTAL_MAIL_URL, or ``None``."""
    if url and not url.startswith(("smtp://", "smtps://")):
        return (
            "PORTAL_MAIL_URL must start with smtp:// or smtps:// (for example "
            "smtp://user:password@mail.example.com:587?starttls=1), "
            "or be empty to write mail to instance/mail."
        )
    return None


def _embedded_secret_key(instance: Path) -> str:
    """Keep one generated key in instance/ so sessions survive restarts of the embedded default."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def instance_path_from_environment() -> str:
    """The instance folder (configuration file, SQLite database, files, mail) when no code names one."""
    return os.environ.get("PORTAL_INSTANCE_PATH", str(Path(__file__).resolve().parent.parent / "instance"))


def normalise_database_url(url: str) -> str:
    """Send PostgreSQL URLs to psycopg 3, whatever driver name the operator wrote."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
