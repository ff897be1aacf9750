"""The ``portal example`` command group, named after the plugin so it cannot collide with another's."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .customer_data import count_notes

example_group = AppGroup("example", help="Commands of the example plugin.")


@example_group.command("count-notes")
def count_notes_command() -> None:
    """Print how many notes all customers keep, so an operator can check the plugin from a shell."""
    click.echo(f"Notes kept by all customers: {count_notes()}.")
