"""Storage keys: generated for every upload, and checked before any backend touches one.

A key never contains the client's file name, so nothing a customer types can choose where a file
lands, overwrite another file or climb out of the storage folder.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from portal.storage.errors import StorageError

MAX_KEY_LENGTH = 512
KEY_CHARACTERS = re.compile(r"[A-Za-z0-9/_.-]+")
SAFE_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def check_key(key: str) -> str:
    """Refuse any key that could name something outside the store; return it unchanged when safe.

    Allowed: ASCII letters, digits and ``/ _ . -``, at most 512 characters, no empty segment, no
    segment starting with a dot (so ``..`` and the local backend's ``.upload-*`` temporaries are
    out of reach), and no ``..`` anywhere.
    """
    if not isinstance(key, str) or not key:
        raise StorageError("A storage key must be a non-empty string.")
    if len(key) > MAX_KEY_LENGTH:
        raise StorageError(f"A storage key may be at most {MAX_KEY_LENGTH} characters long.")
    if not KEY_CHARACTERS.fullmatch(key):
        raise StorageError(f"Storage key {key!r} has characters outside A-Z a-z 0-9 / _ . -")
    if ".." in key or any(not part or part.startswith(".") for part in key.split("/")):
        raise StorageError(f"Storage key {key!r} has an empty, dotted or parent segment.")
    return key


def safe_extension(filename_hint: str) -> str:
    """The hint's extension when it is short, lowercase-able ASCII (``.pdf``), else nothing.

    The extension only helps people and tools that look at the folder; the file's type for a
    download always comes from the caller, never from the key.
    """
    basename = re.split(r"[/\\]", filename_hint or "")[-1]
    _stem, dot, extension = basename.rpartition(".")
    candidate = f".{extension.lower()}" if dot and _stem else ""
    return candidate if SAFE_EXTENSION.fullmatch(candidate) else ""


def new_key(prefix: str, filename_hint: str = "") -> str:
    """A fresh key ``prefix/yyyy/mm/<uuid4><extension>``: unguessable, never reused, sortable by month."""
    prefix = prefix.strip("/")
    if not prefix:
        raise StorageError("save() needs a prefix naming the owner of the file, such as 'documents'.")
    check_key(prefix)
    now = datetime.now(UTC)
    return check_key(f"{prefix}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{safe_extension(filename_hint)}")
