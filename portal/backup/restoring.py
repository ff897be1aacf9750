"""Restoring a backup: check everything first, then write the files, then replace the database.

Nothing changes until the whole archive has been read and matched against its manifest and the
target has been found compatible. Files go back before the database: a file restored under its own
key is either one the current rows already name (same key, same bytes) or one no current row names,
so a restore that fails half way leaves the old database working with every file it needs.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app

from portal.accounts.models import User
from portal.backup.archive import (
    CHUNK_SIZE,
    DATABASE_MEMBERS,
    FILES_FOLDER,
    ArchiveError,
    Manifest,
    reading_archive,
    verify_archive,
)
from portal.backup.database import backend_of, restore_database, row_counts, staging_folder
from portal.database import db
from portal.storage import storage


class RestoreRefusedError(RuntimeError):
    """The archive cannot be restored here; the message says why and what to do instead."""


@dataclass(frozen=True)
class RestorePlan:
    """A checked archive and what restoring it would replace."""

    manifest: Manifest
    rows_now: dict[str, int]
    older_schema: bool

    @property
    def accounts_now(self) -> int:
        """Accounts in the target database: any means it holds a portal's data."""
        return self.rows_now.get(User.__tablename__, 0)


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore did: the files written, and files found in storage that the backup lacks."""

    files_written: int
    files_not_in_backup: list[str]


def check_restore(path: Path) -> RestorePlan:
    """Verify the archive and that this deployment can take it; change nothing.

    Refused: a damaged archive, a backup of the other database backend, and a database at migration
    revisions this code does not know (made by a newer portal or with plugins not installed here).
    """
    manifest = verify_archive(path)
    backend = backend_of(db.engine)
    if manifest.backend != backend:
        raise RestoreRefusedError(
            f"The archive holds a {manifest.backend} database and this portal uses {backend}. A backup "
            "goes back into the same kind of database; to move between them, see docs/operations.md."
        )
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    unknown = sorted(head for head in manifest.migration_heads if not _known(script, head))
    if unknown:
        raise RestoreRefusedError(
            "The archive's database is at migration revisions this code does not know "
            f"({', '.join(unknown)}): it was made by a newer portal (version {manifest.portal_version}) "
            "or with plugins that are not installed here. Upgrade the portal and install those plugins "
            "first, then restore."
        )
    with db.engine.connect() as connection:
        rows_now = row_counts(connection)
    return RestorePlan(
        manifest=manifest,
        rows_now=rows_now,
        older_schema=set(manifest.migration_heads) != set(script.get_heads()),
    )


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def restore_backup(path: Path, manifest: Manifest, *, say: Callable[[str], None]) -> RestoreSummary:
    """Write the archive's files through the storage, then replace the database with its snapshot."""
    store = storage()
    wanted = {FILES_FOLDER + entry.key: entry for entry in manifest.files}
    already_stored = set(store.keys())
    database_member = DATABASE_MEMBERS[manifest.backend]
    engine = db.engine
    db.session.remove()
    with tempfile.TemporaryDirectory(dir=staging_folder(engine), prefix=".portal-restore-") as scratch:
        staged = Path(scratch) / "database"
        say(f"Writing {len(wanted)} files to the storage.")
        with reading_archive(path) as members:
            for name, stream in members:
                if name == database_member:
                    with staged.open("wb") as out:
                        shutil.copyfileobj(stream, out, CHUNK_SIZE)
                elif name in wanted:
                    stored = store.save_as(wanted[name].key, stream)
                    if stored.sha256 != wanted[name].sha256:
                        raise ArchiveError(
                            f"{name} changed since the archive was checked; the database was not restored."
                        )
        say(f"Restoring the {manifest.backend} database.")
        restore_database(engine, staged, manifest.row_counts)
    return RestoreSummary(
        files_written=len(wanted),
        files_not_in_backup=sorted(already_stored - {entry.key for entry in manifest.files}),
    )
