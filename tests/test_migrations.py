"""Alembic is the only way the schema is made: migrating an empty database yields the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.database import compared_with_models, db


def test_upgrade_heads_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": compared_with_models}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_every_model_table_was_made_by_a_migration(app):
    from sqlalchemy import inspect

    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables
