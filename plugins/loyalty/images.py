"""Reward pictures: checked by their first bytes, kept through the core storage, served to signed-in people.

The name and the browser's content type of an upload are never trusted: the type comes from the
content, and the stored key's extension is chosen from that type, so serving can name the type from
the key alone without opening the file twice.
"""

from __future__ import annotations

from typing import IO

from flask import Response
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from portal.plugin import FileTooLargeError, StorageError, detect_type, storage

MAX_MB = 2
MAX_BYTES = MAX_MB * 1024 * 1024
PREFIX = "loyalty/rewards"
# extension → media type; the extension is only ever one this module chose from the content.
TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
EXTENSIONS = {mimetype: extension for extension, mimetype in TYPES.items()}


class ImageRefusedError(Exception):
    """The upload cannot be kept; the message tells the administrator what to do instead."""


def chosen(upload: object) -> FileStorage | None:
    """The uploaded file, or None when the administrator did not choose one."""
    if isinstance(upload, FileStorage) and upload.filename:
        return upload
    return None


def image_extension(stream: IO[bytes]) -> str | None:
    """The extension of the image type the content shows: PNG, JPEG or WebP, else None."""
    mimetype = detect_type(stream, TYPES.values())
    return EXTENSIONS[mimetype] if mimetype else None


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def problem_with(upload: FileStorage) -> str | None:
    """Why this upload cannot be a reward image, for the form; None when it can be kept."""
    size = _size(upload.stream)
    if size == 0:
        return _("The image file is empty.")
    if size > MAX_BYTES:
        return _("The image is larger than %(limit)d MB. Choose a smaller one.", limit=MAX_MB)
    if image_extension(upload.stream) is None:
        return _("Use a PNG, JPEG or WebP image.")
    return None


def store(upload: FileStorage) -> str:
    """Keep a checked upload under a new key, streamed, and return the key."""
    extension = image_extension(upload.stream)
    if extension is None:
        raise ImageRefusedError(_("Use a PNG, JPEG or WebP image."))
    try:
        stored = storage().save(
            upload.stream, prefix=PREFIX, filename_hint=f"image.{extension}", max_bytes=MAX_BYTES
        )
    except FileTooLargeError as error:
        raise ImageRefusedError(
            _("The image is larger than %(limit)d MB. Choose a smaller one.", limit=MAX_MB)
        ) from error
    except StorageError as error:
        raise ImageRefusedError(_("We could not keep the image just now. Please try again.")) from error
    return stored.key


def response(key: str, title: str) -> Response:
    """The image inline, typed from its key, with nosniff and ETag/304 from the core storage."""
    extension = key.rsplit(".", 1)[-1].lower()
    mimetype = TYPES.get(extension, "application/octet-stream")
    return storage().download_response(
        key, download_name=f"{title or 'reward'}.{extension}", mimetype=mimetype, inline=True
    )
