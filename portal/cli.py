"""The ``portal`` console script: Flask's commands (run, db, shell) plus the app's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, run_command

from portal.config import ConfigError
from portal.plugin_manager import PluginError
from portal.service_checks import ServiceUnreachableError, check_database


def _make_app() -> Flask:
    from portal.app import create_app

    try:
        return create_app()
    except (ConfigError, PluginError) as error:
        raise click.ClickException(str(error)) from error


@click.group(cls=FlaskGroup, create_app=_make_app, help="Run and manage the customer portal.")
def main() -> None:
    """Entry point of the ``portal`` console script."""


def _run_after_checking_the_database(**options: Any) -> None:
    """Flask's ``run``, after one look at the database, so a wrong URL stops it before any customer."""
    context = click.get_current_context()
    try:
        check_database(context.ensure_object(ScriptInfo).load_app())
    except ServiceUnreachableError as error:
        raise click.ClickException(str(error)) from error
    context.invoke(run_command.callback, **options)  # type: ignore[arg-type]


main.add_command(
    click.Command(
        "run",
        params=run_command.params,
        callback=_run_after_checking_the_database,
        help=run_command.help,
        short_help=run_command.short_help,
    )
)


# A plain command: it must run, and say everything it finds, where the app would not start.
@click.command("check")
def check_command() -> None:
    """List every problem of this deployment's settings and services at once; exit 1 if there is any."""
    from portal.app import create_app
    from portal.config import instance_path_from_environment
    from portal.config_check import check_configuration

    problems = check_configuration(instance_path_from_environment(), create_app)
    if not problems:
        click.echo(
            "No problems found: the settings are valid, the database answers with every migration "
            "applied, and the storage and the configured Redis and mail server answer."
        )
        return
    click.echo(f"{len(problems)} problem(s) to fix:", err=True)
    for problem in problems:
        named = problem.message.startswith(problem.setting)
        click.echo(f"  {problem.message}" if named else f"  {problem.setting}: {problem.message}", err=True)
    click.echo("Fix them and run 'portal check' again.", err=True)
    raise SystemExit(1)


main.add_command(check_command)


# A plain click group, not the app's: writing a plugin needs no app, no configuration and no database.
@click.group("plugin")
def plugin_group() -> None:
    """Start a new plugin ('portal plugins' lists and switches the installed ones)."""


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="The folder to write the plugin's folder in (default: here).",
)
def new_plugin(name: str, into: Path) -> None:
    """Write a new plugin, portal-NAME, that passes its own tests: then run 'make test' in it."""
    from portal.scaffold import PluginNameError, ScaffoldError, create_plugin

    try:
        folder = create_plugin(name, into)
    except (PluginNameError, ScaffoldError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Wrote the plugin {name!r} in {folder}.")
    click.echo(f"Next: cd {folder} && make test PORTAL_CHECKOUT=<your portal checkout>, or plain 'make test'")
    click.echo("to install the portal from the package index. docs/plugins.md explains each file.")


main.add_command(plugin_group)
