"""The application factory: one app, one plugin host, everything per app and nothing global."""

from __future__ import annotations

import hmac
import os
from pathlib import Path
from typing import Any

from flask import Flask, before_render_template, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import bindparam, select
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import (
    audit,  # noqa: F401  (registers the audit table on the metadata)
    dashboard,
    plugin_state,  # noqa: F401  (registers the plugin switch table)
)
from portal.accounts import account_views, auth_views, language_views
from portal.accounts.models import User
from portal.api import token_views as api_token_views
from portal.api.shell import install_api
from portal.approvals import views as approval_views
from portal.babel_state import current_locale
from portal.bidi import install_isolate_filter
from portal.clean_input import PortalRequest
from portal.commands import CORE_COMMANDS
from portal.config import instance_path_from_environment, load_config
from portal.content_languages import install_content_filters
from portal.converters import install_id_converter
from portal.database import db
from portal.date_templates import install_date_filters
from portal.errors import install_error_pages
from portal.event_types import load_declared_events
from portal.extensions import babel, csrf, login_manager, migrate
from portal.file_size import install_file_size_filter
from portal.health import install_health_checks
from portal.htmx import is_htmx_request
from portal.i18n import product_name, select_locale, select_timezone, text_direction
from portal.integrations import views as integration_views
from portal.jobs import init_jobs
from portal.lazy_text import LazyTextJSONProvider, escape_lazy_translations
from portal.mail_in import views as mail_in_views
from portal.mail_in.commands import MAIL_IN_COMMANDS
from portal.mail_in.tasks import mail_in_tasks
from portal.message_numbers import install_template_gettext
from portal.metrics_web import install_metrics
from portal.navigation import install_navigation
from portal.notifications import views as notification_views
from portal.notifications.service import unread_counter
from portal.numbers import install_number_filters
from portal.organizations import views as organization_views
from portal.page_assets import page_assets
from portal.plugin_manager import LazyNav, PluginHost, plugin_host
from portal.request_ids import install_request_ids
from portal.schedule import CORE_TASKS_KEY
from portal.security_headers import install_security_headers
from portal.service_commands import SERVICE_COMMANDS
from portal.settings import load_declared_settings
from portal.staff import customers as staff_customers
from portal.staff import operations as staff_operations
from portal.staff import settings_views as staff_settings
from portal.staff import views as staff_views
from portal.storage import init_storage
from portal.template_slots import render_slot
from portal.webhooks import views as webhook_views

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORE_MIGRATIONS = PROJECT_ROOT / "migrations"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build a portal app; ``overrides`` win over files and environment (tests use them)."""
    overrides = dict(overrides or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or instance_path_from_environment()
    app = Flask(
        "portal",
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.request_class = PortalRequest
    install_id_converter(app)  # before any blueprint: a rule binds its converter when it is added
    load_config(app, overrides)
    hops = int(app.config["PORTAL_PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(CORE_MIGRATIONS))
    init_jobs(app)  # after db.init_app: its teardown must run while the session is still there
    login_manager.init_app(app)
    csrf.init_app(app)
    init_storage(app)
    app.extensions[CORE_TASKS_KEY] = mail_in_tasks(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    escape_lazy_translations()
    app.json = LazyTextJSONProvider(app)
    _configure_login(app)

    host = PluginHost(app)
    app.extensions["portal_plugins"] = host
    host.discover()
    host.register_translations()
    load_declared_settings(app)
    load_declared_events(app)

    for blueprint in (
        dashboard.bp,
        auth_views.bp,
        account_views.bp,
        api_token_views.bp,
        language_views.bp,
        staff_views.bp,
        notification_views.bp,
        staff_customers.bp,
        staff_settings.bp,
        staff_operations.bp,
        webhook_views.bp,
        integration_views.bp,
        approval_views.bp,
        mail_in_views.bp,
    ):
        app.register_blueprint(blueprint)
    host.register_blueprints()
    limiter = Limiter(key_func=get_remote_address, app=app)
    app.extensions["portal_limiter"] = limiter
    auth_views.install_rate_limits(app, limiter)
    install_health_checks(app, limiter)
    install_metrics(app)
    install_api(app, limiter)
    organization_views.install(app, limiter)
    app.before_request(host.guard_plugin_routes)
    host.refuse_undeclared_views()  # after the last route is added

    install_security_headers(app)
    install_request_ids(app)
    install_error_pages(app)
    _install_template_helpers(app)
    _register_commands(app, host)
    return app


def _configure_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


# Every signed-in request loads its person: the statement is built once (made afresh, building it
# cost about as much as running it).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.execute(_USER_BY_ID, {"user_id": int(user_id)}).scalar_one_or_none()
    if user is None or user.is_integration or not hmac.compare_digest(user.session_token, token):
        return None
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    from flask import flash, redirect, url_for

    if is_htmx_request():
        return "", 401, {"HX-Redirect": url_for("auth.login")}
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _install_template_helpers(app: Flask) -> None:
    install_date_filters(app)
    install_file_size_filter(app)
    install_number_filters(app)
    install_isolate_filter(app)
    install_template_gettext(app)
    install_content_filters(app)
    install_navigation(app)

    @app.context_processor
    def portal_context() -> dict[str, Any]:
        user = current_user if has_request_context() and current_user.is_authenticated else None
        is_staff = user is not None and user.is_staff
        return {
            "portal_name": product_name(),
            "nav_items": LazyNav("portal_nav_items", user),
            "staff_nav_items": LazyNav("portal_staff_nav_items", user) if is_staff else (),
            "text_direction": text_direction(),
            "language": str(current_locale() or app.config["PORTAL_DEFAULT_LANGUAGE"]),
            "slot": render_slot,
            "page_assets": page_assets,
            "unread_notification_count": unread_counter(user),
        }


@before_render_template.connect
def _keep_slot_reserved(sender: Flask, template: Any, context: dict[str, Any], **_extra: Any) -> None:
    """Refuse a view's value named ``slot``: it would replace the layout's helper, which fails far away."""
    if "portal_plugins" in sender.extensions and context.get("slot") is not render_slot:
        raise TypeError(
            f"'slot' is reserved in templates (the layout renders template slots with it), but "
            f"{template.name or 'a template'} was given a value named 'slot': pass it under another name."
        )


def _register_commands(app: Flask, host: PluginHost) -> None:
    for command in CORE_COMMANDS:
        app.cli.add_command(command)
    for command in (*SERVICE_COMMANDS, *MAIL_IN_COMMANDS):
        app.cli.add_command(command)
    with app.app_context():
        for _name, commands in host.call_each("portal_cli_commands"):
            for command in commands:
                app.cli.add_command(command)
        db.session.remove()


@migrate.configure
def _plugin_version_locations(config: Any) -> Any:
    """Point Alembic at the core's revisions and every installed plugin's branch."""
    folders = [str(CORE_MIGRATIONS / "versions")]
    for folder in plugin_host().all_hooks.portal_migrations_folder():
        if folder:
            folders.append(str(folder))
    config.set_main_option("version_locations", os.pathsep.join(folders))
    return config
