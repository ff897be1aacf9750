"""Storage for uploaded files: a folder in instance/ by default, S3-compatible object storage at scale.

Plugins call ``storage()`` for the app's backend and never learn which one it is::

    stored = storage().save(upload.stream, prefix="documents", filename_hint=upload.filename,
                            max_bytes=10 * 1024 * 1024)
    ...
    return storage().download_response(stored.key, download_name=name, mimetype=mimetype)

Files follow their rows with ``delete_after_commit(key)`` (gone when the deleting transaction commits)
and ``discard_unless_committed(key)`` (a new file goes if its row never commits).

The backend is chosen by PORTAL_STORAGE_URL and kept in ``app.extensions``, one per app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app

from portal.config import S3, ConfigError, require_extra
from portal.storage.base import Storage, StoredFile
from portal.storage.downloads import clean_download_name, generated_download
from portal.storage.errors import FileTooLargeError, MissingFileError, StorageError
from portal.storage.filetypes import detect_type
from portal.storage.local import LocalStorage
from portal.storage.transactions import delete_after_commit, discard_unless_committed

EXTENSION_KEY = "portal_storage"


def init_storage(app: Flask) -> None:
    """Build the configured backend once per app, so a wrong PORTAL_STORAGE_URL stops the start."""
    app.extensions[EXTENSION_KEY] = storage_from_config(app.config, Path(app.instance_path))


def storage() -> Storage:
    """The current app's file storage; plugins keep files through it and nothing else."""
    return current_app.extensions[EXTENSION_KEY]


def storage_from_config(config: Any, instance_path: Path) -> Storage:
    """The backend PORTAL_STORAGE_URL names: empty for instance/files, ``file:///abs/path`` or ``s3://…``."""
    url = str(config.get("PORTAL_STORAGE_URL") or "")
    accel_prefix = _accel_prefix(str(config.get("PORTAL_STORAGE_ACCEL_REDIRECT") or ""))
    scheme = urlsplit(url).scheme
    if not url:
        return LocalStorage(instance_path / "files", accel_prefix=accel_prefix)
    if scheme == "file":
        return LocalStorage(_folder_from_url(url), accel_prefix=accel_prefix)
    if scheme == "s3":
        require_extra(S3, "PORTAL_STORAGE_URL")
        # Imported here: boto3 comes with the s3 extra, which only object-storage deployments install.
        from portal.storage.s3 import s3_storage_from_url

        return s3_storage_from_url(url, accel_prefix=accel_prefix)
    raise ConfigError(
        "PORTAL_STORAGE_URL must be empty (a folder in instance/), file:///absolute/path "
        "or s3://bucket/prefix?endpoint_url=…"
    )


def _folder_from_url(url: str) -> Path:
    parts = urlsplit(url)
    path = Path(unquote(parts.path))
    if parts.netloc not in ("", "localhost") or not path.is_absolute() or parts.query:
        raise ConfigError("PORTAL_STORAGE_URL=file://… needs an absolute path: file:///srv/portal/files")
    return path


def _accel_prefix(prefix: str) -> str:
    if prefix and not prefix.startswith("/"):
        raise ConfigError(
            "PORTAL_STORAGE_ACCEL_REDIRECT must be the URL path of nginx's internal download location, "
            "such as /protected-files/ (a storage folder) or /_s3/ (object storage)"
        )
    return prefix.rstrip("/") + "/" if prefix else ""


__all__ = [
    "FileTooLargeError",
    "MissingFileError",
    "Storage",
    "StorageError",
    "StoredFile",
    "clean_download_name",
    "delete_after_commit",
    "detect_type",
    "discard_unless_committed",
    "generated_download",
    "init_storage",
    "storage",
    "storage_from_config",
]
