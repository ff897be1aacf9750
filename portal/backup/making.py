"""Making a backup: a snapshot of the database first, then every stored file, then the manifest.

The database comes first on purpose. Files are stored under keys that are never reused and are not
changed in place, so a file saved after the snapshot is only an extra in the archive that no row
names; the other order could archive a row whose file was saved too late to be copied.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from portal.backup.archive import (
    DATABASE_MEMBERS,
    FILES_FOLDER,
    MANIFEST_MEMBER,
    ArchiveWriter,
    FileEntry,
    Manifest,
    writing_archive,
)
from portal.backup.database import backend_of, snapshot_database
from portal.database import db
from portal.storage import MissingFileError, Storage, storage

DISTRIBUTION = "customer-portal"
PROGRESS_EVERY = 100  # files between two progress lines


@dataclass(frozen=True)
class BackupSummary:
    """What was written: the manifest, the archive's size, and files deleted while they were copied."""

    manifest: Manifest
    archive_size: int
    vanished: list[str]


def portal_version() -> str:
    """The installed portal's version, recorded so an operator knows which code made a backup."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def make_backup(path: Path, *, force: bool, say: Callable[[str], None]) -> BackupSummary:
    """Write the current app's database and stored files to the archive ``path``; ``say`` reports progress."""
    engine = db.engine
    backend = backend_of(engine)
    store = storage()
    with (
        tempfile.TemporaryDirectory(prefix="portal-backup-") as scratch,
        writing_archive(path, force=force) as archive,
    ):
        say(f"Taking a snapshot of the {backend} database.")
        dump = Path(scratch) / "database"
        snapshot = snapshot_database(engine, dump)
        with dump.open("rb") as stream:
            facts = archive.add_stream(DATABASE_MEMBERS[backend], stream, dump.stat().st_size)
        say(f"Database: {len(snapshot.row_counts)} tables, {sum(snapshot.row_counts.values())} rows.")
        keys = sorted(store.keys())
        say(f"Copying {len(keys)} stored files.")
        files: list[FileEntry] = []
        vanished: list[str] = []
        for number, key in enumerate(keys, 1):
            entry = _copy_file(store, key, archive)
            if entry is None:
                vanished.append(key)
            else:
                files.append(entry)
            if number % PROGRESS_EVERY == 0 and number < len(keys):
                say(f"  {number} of {len(keys)} files copied.")
        manifest = Manifest(
            created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            portal_version=portal_version(),
            backend=backend,
            migration_heads=snapshot.migration_heads,
            row_counts=snapshot.row_counts,
            database=FileEntry(DATABASE_MEMBERS[backend], facts.size, facts.sha256),
            files=files,
        )
        archive.add_bytes(MANIFEST_MEMBER, manifest.to_json())
    return BackupSummary(manifest, path.stat().st_size, vanished)


def _copy_file(store: Storage, key: str, archive: ArchiveWriter) -> FileEntry | None:
    """Copy one stored file into the archive; None when it was deleted after it was listed."""
    try:
        size = store.size(key)
        stream = store.open(key)
    except MissingFileError:
        return None
    with stream:
        facts = archive.add_stream(FILES_FOLDER + key, stream, size)
    return FileEntry(key, facts.size, facts.sha256)
