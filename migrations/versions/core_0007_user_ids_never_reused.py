"""Core: an account's id is never given to another account, on SQLite too (AUTOINCREMENT).

Without AUTOINCREMENT, SQLite hands out the highest id plus one, so deleting the newest account gave
its id to the next one to sign up, along with anything still keyed by it. PostgreSQL's sequences
never go back, so there this revision changes nothing.

SQLite can only add AUTOINCREMENT by rebuilding the table, and dropping the old table while foreign
keys are on would first delete every row, cascading to everything the accounts own. So foreign keys
are switched off for the rebuild, which SQLite honours only outside a transaction, and switched on
again after checking that every reference still points at an account.

Revision ID: core_0007
Revises: core_0006
Created: 2026-12-04
"""

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
from sqlalchemy.engine import Connection

revision = "core_0007"
down_revision = "core_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _rebuild_users(autoincrement=True)


def downgrade() -> None:
    _rebuild_users(autoincrement=False)


def _rebuild_users(*, autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # No column changes: recreating copies the rows into a table made with the new table option.
    rebuild = op.batch_alter_table(
        "portal_users", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    )
    with _foreign_keys_off(bind), rebuild:
        pass


@contextmanager
def _foreign_keys_off(bind: Connection) -> Iterator[None]:
    driver = bind.connection.dbapi_connection
    driver.commit()  # PRAGMA foreign_keys is a no-op inside a transaction
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rebuilding portal_users left references to no account: {broken[:5]}")
        driver.commit()
    except BaseException:
        driver.rollback()  # before the PRAGMA below, which an open transaction would ignore
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
