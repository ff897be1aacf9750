"""The portal's own commands, added to the app's CLI so ``portal`` and test runners both see them."""

from __future__ import annotations

import click
import flask_migrate
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, select

from portal import audit
from portal.access import ROLES
from portal.accounts.models import User, find_user_by_email, normalise_email
from portal.backup.commands import backup, restore
from portal.database import db, utcnow
from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.passwords import MIN_PASSWORD_LENGTH, hash_password
from portal.plugin_manager import PluginError, plugin_host
from portal.schedule import run_tick
from portal.seed import seed_command
from portal.staff.plugin_switch import switch_plugin
from portal.transfers.commands import export_command, import_command


@click.command("create-admin")
@click.option("--email", prompt=True, help="The administrator's email address.")
@click.option("--name", prompt=True, help="The administrator's name.")
@click.password_option(help="At least 12 characters.")
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    """Create the first administrator account (already confirmed)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"use at least {MIN_PASSWORD_LENGTH} characters", param_hint="password")
    if find_user_by_email(email) is not None:
        raise click.ClickException(
            f"{normalise_email(email)} already has an account; "
            "use 'portal users set-role' to change its role."
        )
    user = User(
        email=normalise_email(email),
        name=name.strip()[:100],
        role="admin",
        password_hash=hash_password(password),
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("role_changed", actor_id=None, user_id=user.id, role="admin", via="cli")
    db.session.commit()
    click.echo(f"Administrator {user.email} created.")


@click.group()
def users() -> None:
    """Manage accounts."""


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role(email: str, role: str) -> None:
    """Give an account the customer, agent or admin role."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the address {normalise_email(email)}.")
    previous = user.role
    user.role = role
    audit.record("role_changed", actor_id=None, user_id=user.id, role=role, previous=previous, via="cli")
    db.session.commit()
    click.echo(f"{user.email} is now {role} (was {previous}).")


@click.group()
def plugins() -> None:
    """List installed plugins and switch them on or off."""


@plugins.command("list")
@with_appcontext
def list_plugins() -> None:
    """Show each installed plugin with its version and state."""
    host = plugin_host()
    enabled = host.enabled()
    if not host.installed:
        click.echo("No plugins are installed.")
    for name, plugin in sorted(host.installed.items()):
        state = "enabled" if name in enabled else "disabled"
        click.echo(f"{name:<20} {plugin.version:<12} {state:<9} {plugin.distribution}")


def _switch(name: str, enabled: bool) -> None:
    try:
        switch_plugin(name, enabled, actor_id=None)
    except PluginError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"{name} {'enabled' if enabled else 'disabled'}; running workers apply it at their next request."
    )


@plugins.command("enable")
@click.argument("name")
@with_appcontext
def enable_plugin(name: str) -> None:
    """Switch a plugin on."""
    _switch(name, True)


@plugins.command("disable")
@click.argument("name")
@with_appcontext
def disable_plugin(name: str) -> None:
    """Switch a plugin off; its data is kept."""
    _switch(name, False)


@click.command("migrate")
@with_appcontext
def migrate() -> None:
    """Bring the database up to date: the core and every installed plugin's branch.

    Each plugin's migrations are a branch of their own, so there are several heads; Alembic's plain
    ``upgrade head`` refuses that, which is why this command upgrades to ``heads``.
    """
    flask_migrate.upgrade(revision="heads")
    click.echo("The database is up to date.")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load demo data (safe to run again), run one tick, and print the demo sign-ins.

    The tick does what a running portal's scheduler would have done by the time anyone looks: the
    plugins' derived figures (insights' stages and grades, loyalty's tiers) are there from the start.
    """
    if "portal_users" not in inspect(db.engine).get_table_names():
        raise click.ClickException("The database has no tables yet. Run 'portal migrate' first.")
    people = load_demo_data()
    run_tick()
    count = db.session.scalar(select(db.func.count()).select_from(User))
    click.echo(
        f"Demo data ready ({count} accounts). Sign in at {current_app.config['PORTAL_BASE_URL']} with:"
    )
    for person in people:
        click.echo(f"  {person.role:<9} {person.email:<22} password: {DEMO_PASSWORD}")


CORE_COMMANDS = (
    create_admin,
    users,
    plugins,
    migrate,
    demo,
    seed_command,
    backup,
    restore,
    import_command,
    export_command,
)
