"""The ``portal`` console script: Flask's commands (run, db, shell) plus the app's own."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from portal.config import ConfigError
from portal.plugin_manager import PluginError


def _make_app() -> Flask:
    from portal.app import create_app

    try:
        return create_app()
    except (ConfigError, PluginError) as error:
        raise click.ClickException(str(error)) from error


@click.group(cls=FlaskGroup, create_app=_make_app, help="Run and manage the customer portal.")
def main() -> None:
    """Entry point of the ``portal`` console script."""
