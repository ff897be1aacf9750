"""Files in a folder on this machine: the embedded default, and enough for one application server."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from flask import Response
from werkzeug.exceptions import NotFound

from portal.storage.base import Storage
from portal.storage.downloads import FileInfo, accel_redirect
from portal.storage.errors import MissingFileError, StorageError
from portal.storage.keys import KEY_CHARACTERS, check_key

# Owner read/write, group read: nginx reads the files for X-Accel-Redirect when its user is in
# the portal's group; nobody else can.
FILE_MODE = 0o640


class LocalStorage(Storage):
    """Keeps each file at ``root/<key>``, written to a temporary name first and renamed when complete.

    A reader never sees half a file, and a failed or oversized upload leaves no file behind.
    """

    def __init__(self, root: Path, *, accel_prefix: str = "") -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()
        self.accel_prefix = accel_prefix

    def path_of(self, key: str) -> Path:
        """The file's path, after checking the key and that the resolved path stays under the root."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise StorageError(f"Storage key {key!r} points outside the storage folder.")
        return path

    def _write(self, key: str, chunks: Iterator[bytes]) -> None:
        target = self.path_of(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
        except OSError as error:
            raise StorageError(f"Cannot write to the storage folder {self.root}: {error}") from error
        try:
            with os.fdopen(descriptor, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, target)
        except BaseException as error:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise StorageError(f"Could not store {key}: {error}") from error
            raise

    def open(self, key: str) -> BinaryIO:
        """The file opened for reading; raises ``MissingFileError`` when it is not there."""
        path = self.path_of(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise MissingFileError(f"No stored file under key {key!r}.") from None

    def _open_range(self, key: str, start: int, stop: int) -> BinaryIO:
        stream = self.open(key)
        stream.seek(start)
        return stream

    def delete(self, key: str) -> None:
        """Remove the file if it is there."""
        try:
            self.path_of(key).unlink(missing_ok=True)
        except OSError as error:
            raise StorageError(f"Could not delete {key}: {error}") from error

    def exists(self, key: str) -> bool:
        """Whether a regular file is stored under ``key``."""
        return self.path_of(key).is_file()

    def keys(self) -> Iterator[str]:
        """The key of every regular file under the folder, walked in sorted order.

        Dotted names and names with characters no key has are left out: they are upload temporaries
        (``.upload-*``) or files the portal did not store.
        """
        for folder, subfolders, files in os.walk(self.root):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            relative = Path(folder).relative_to(self.root)
            for name in sorted(files):
                key = (relative / name).as_posix()
                readable = KEY_CHARACTERS.fullmatch(key) and (Path(folder) / name).is_file()
                if readable and not name.startswith("."):
                    yield key

    def check_ready(self) -> None:
        """The folder must still be there and writable: a volume that came unmounted is not ready."""
        if not (self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK)):
            raise StorageError(f"The storage folder {self.root} is missing or not writable")

    def describe(self, key: str) -> FileInfo:
        """Size and modification time from the file system; the ETag is derived from key, size and time."""
        path = self.path_of(key)
        try:
            facts = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise MissingFileError(f"No stored file under key {key!r}.") from None
        if not stat.S_ISREG(facts.st_mode):
            raise MissingFileError(f"No stored file under key {key!r}.")
        tag = hashlib.blake2b(f"{key}:{facts.st_size}:{facts.st_mtime_ns}".encode(), digest_size=16)
        return FileInfo(
            size=facts.st_size,
            etag=tag.hexdigest(),
            last_modified=datetime.fromtimestamp(facts.st_mtime, UTC),
        )

    def download_response(
        self,
        key: str,
        *,
        download_name: str,
        mimetype: str,
        inline: bool = False,
        conditional: bool = True,
    ) -> Response:
        """Stream the file, or with PORTAL_STORAGE_ACCEL_REDIRECT set hand the sending to nginx."""
        if not self.accel_prefix:
            return super().download_response(
                key, download_name=download_name, mimetype=mimetype, inline=inline, conditional=conditional
            )
        if not self.exists(key):
            raise NotFound()
        return accel_redirect(
            self.accel_prefix + key, download_name=download_name, mimetype=mimetype, inline=inline
        )
