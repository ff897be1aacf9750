"""The backup archive: a gzip-compressed tar holding the database, every stored file and a manifest.

Members, in the order they are written::

    database/portal.sqlite3  or  database/portal.pgdump    the database snapshot
    files/<storage key>                                      one member per stored file
    manifest.json                                            written last

The manifest comes last because it lists every member's size and SHA-256, which are known only once
the member is written; a truncated archive therefore never carries one and is refused at once. A
plain tar.gz is readable by ``tar`` anywhere, and both writing and checking stream it, so memory stays
flat whatever the size.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

FORMAT_NAME = "customer-portal-backup"
FORMAT_VERSION = 1
MANIFEST_MEMBER = "manifest.json"
FILES_FOLDER = "files/"
DATABASE_MEMBERS = {"sqlite": "database/portal.sqlite3", "postgresql": "database/portal.pgdump"}
CHUNK_SIZE = 1024 * 1024
# Level 6 is gzip's own default: nearly the size of 9 at a fraction of the time; stored files are
# often already compressed (PDF, PNG) and gain little from more.
COMPRESS_LEVEL = 6
# What a damaged or cut-off gzip or tar stream raises while it is read.
DAMAGED_STREAM_ERRORS = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


class ArchiveError(RuntimeError):
    """The archive is missing, damaged, truncated or of a format this portal cannot read."""


@dataclass(frozen=True)
class MemberFacts:
    """One member's size in bytes and SHA-256 (hex)."""

    size: int
    sha256: str


@dataclass(frozen=True)
class FileEntry:
    """A stored file in the archive: its storage key, size and SHA-256."""

    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What the archive holds and where it came from; written as manifest.json."""

    created_at: str
    portal_version: str
    backend: str
    migration_heads: list[str]
    row_counts: dict[str, int]
    database: FileEntry
    files: list[FileEntry] = field(default_factory=list)
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        """The manifest as indented UTF-8 JSON, readable by an operator with ``tar -xO``."""
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Read a manifest, refusing another format or a version this code does not know."""
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT_NAME:
                raise ArchiveError("manifest.json does not describe a portal backup.")
            if raw.get("format_version") != FORMAT_VERSION:
                raise ArchiveError(
                    f"The archive has format version {raw.get('format_version')!r}; this portal reads "
                    f"version {FORMAT_VERSION}. Restore it with the portal version that made it "
                    f"({raw.get('portal_version', 'unknown')}) or a newer one."
                )
            return cls(
                created_at=str(raw["created_at"]),
                portal_version=str(raw["portal_version"]),
                backend=str(raw["backend"]),
                migration_heads=[str(head) for head in raw["migration_heads"]],
                row_counts={str(name): int(count) for name, count in raw["row_counts"].items()},
                database=FileEntry(**raw["database"]),
                files=[FileEntry(**entry) for entry in raw["files"]],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ArchiveError(f"manifest.json cannot be read: {error}") from None

    @property
    def total_rows(self) -> int:
        """Rows in every table together, for the summary line."""
        return sum(self.row_counts.values())

    @property
    def total_file_bytes(self) -> int:
        """The stored files' bytes together, for the summary line."""
        return sum(entry.size for entry in self.files)


class HashingReader:
    """Reads a stream through while counting and hashing, so copying a member also measures it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()
        self.size = 0

    def read(self, limit: int = -1) -> bytes:
        """The next bytes of the stream, counted and hashed."""
        chunk = self._stream.read(limit)
        self._digest.update(chunk)
        self.size += len(chunk)
        return chunk

    @property
    def facts(self) -> MemberFacts:
        """Size and SHA-256 of everything read so far."""
        return MemberFacts(self.size, self._digest.hexdigest())


class ArchiveWriter:
    """Writes the members of one archive into an open gzip-compressed tar."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self._tar = tar

    def add_stream(self, name: str, stream: IO[bytes], size: int) -> MemberFacts:
        """Copy ``size`` bytes of ``stream`` into the member ``name``; raises if the stream is shorter."""
        reader = HashingReader(stream)
        self._tar.addfile(_member_info(name, size), reader)
        return reader.facts

    def add_bytes(self, name: str, data: bytes) -> None:
        """A small member held in memory: the manifest."""
        self._tar.addfile(_member_info(name, len(data)), io.BytesIO(data))


def _member_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(time.time())
    info.mode = 0o600
    return info


@contextmanager
def writing_archive(path: Path, *, force: bool) -> Iterator[ArchiveWriter]:
    """Write an archive to a temporary name beside ``path`` and rename it to ``path`` when complete.

    A backup that fails half way leaves no file that looks like a finished one: the temporary file
    is removed, and ``path`` appears only with its manifest written and its bytes on disk.
    """
    if path.exists() and not force:
        raise ArchiveError(f"{path} already exists; choose another name or add --force to replace it.")
    if not path.parent.is_dir():
        raise ArchiveError(f"The folder {path.parent} does not exist.")
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as out:
            with tarfile.open(fileobj=out, mode="w:gz", compresslevel=COMPRESS_LEVEL) as tar:
                yield ArchiveWriter(tar)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def reading_archive(path: Path) -> Iterator[Iterator[tuple[str, IO[bytes]]]]:
    """The archive's members as (name, stream) pairs in archive order; streamed, never extracted.

    Use the pairs inside the ``with`` block: a damaged or cut-off gzip or tar stream shows itself
    while a member is read, and is raised as ``ArchiveError`` when it leaves the block. Each stream
    is valid until the next member is asked for.
    """
    if not path.is_file():
        raise ArchiveError(f"{path} does not exist or is not a file.")
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            yield _members(tar)
    except DAMAGED_STREAM_ERRORS as error:
        raise ArchiveError(f"{path} is damaged or truncated ({error}).") from None


def _members(tar: tarfile.TarFile) -> Iterator[tuple[str, IO[bytes]]]:
    for member in tar:
        stream = tar.extractfile(member) if member.isfile() else None
        if stream is None:
            raise ArchiveError(f"The archive holds {member.name!r}, which is not a regular file.")
        yield member.name, stream


def verify_archive(path: Path) -> Manifest:
    """Read the whole archive and check it against its manifest before anything is changed.

    Every member is hashed; the manifest must be there and readable, the database member and every
    listed file must be present with the size and SHA-256 the manifest gives, and nothing unlisted
    may be in it.
    """
    seen: dict[str, MemberFacts] = {}
    manifest_bytes: bytes | None = None
    with reading_archive(path) as members:
        for name, stream in members:
            if name in seen or (name == MANIFEST_MEMBER and manifest_bytes is not None):
                raise ArchiveError(f"The archive holds {name!r} twice.")
            if name == MANIFEST_MEMBER:
                manifest_bytes = stream.read()
                continue
            reader = HashingReader(stream)
            while reader.read(CHUNK_SIZE):
                pass
            seen[name] = reader.facts
    if manifest_bytes is None:
        raise ArchiveError(f"{path} has no manifest.json: it is not a portal backup, or it was cut short.")
    manifest = Manifest.from_json(manifest_bytes)
    expected = {DATABASE_MEMBERS.get(manifest.backend, ""): manifest.database}
    expected.update({FILES_FOLDER + entry.key: entry for entry in manifest.files})
    for name, entry in expected.items():
        facts = seen.pop(name, None)
        if facts is None:
            raise ArchiveError(f"The archive lacks {name or 'its database'}, which its manifest lists.")
        if facts != MemberFacts(entry.size, entry.sha256):
            raise ArchiveError(
                f"{name} in the archive does not match its manifest (size or SHA-256 differ): "
                "the archive is damaged."
            )
    if seen:
        raise ArchiveError(
            f"The archive holds members its manifest does not list: {', '.join(sorted(seen))}."
        )
    return manifest
