"""Files customers and staff attach to messages: limits from the settings, type checked by content."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from portal.plugin import (
    FileTooLargeError,
    StorageError,
    db,
    detect_type,
    discard_unless_committed,
    format_file_size,
    get_setting,
    storage,
)

from .limits import MEGABYTE, upload_size
from .models import FILENAME_MAX, Attachment, Message

MAX_FILES = 5

# The names administrators write in the attachment_types setting, and the types they stand for.
TYPES_BY_NAME = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "pdf": "application/pdf",
    "txt": "text/plain",
}


def allowed_types() -> list[str]:
    """The type names the attachment_types setting allows, in its order; unknown names are ignored."""
    raw = str(get_setting("tickets", "attachment_types"))
    names = [part.strip().lower() for part in raw.split(",")]
    return [name for name in names if name in TYPES_BY_NAME]


def max_bytes() -> int:
    """The largest file the administrator accepts (the attachment_max_mb setting), in bytes."""
    return int(get_setting("tickets", "attachment_max_mb")) * MEGABYTE


def limits_hint() -> str:
    """What an attachment field accepts, said next to it from the same limits ``check`` and ``save`` use."""
    return _(
        "Up to %(count)d files, each at most %(size)s: %(types)s.",
        count=MAX_FILES,
        size=format_file_size(max_bytes()),
        types=", ".join(name.upper() for name in allowed_types()),
    )


def _detect(upload: FileStorage, allowed: list[str]) -> str | None:
    return detect_type(upload.stream, [TYPES_BY_NAME[name] for name in allowed])


def uploads_from(files: list[Any]) -> list[FileStorage]:
    """The files the person actually chose: a form's empty file inputs arrive as nameless parts."""
    return [f for f in files or [] if isinstance(f, FileStorage) and f.filename]


def file_name(upload: FileStorage) -> str:
    """The name an upload is kept and shown under: as sent, without control characters, within the limit.

    A browser, a mail program and an API client may all send a NUL or another invisible control
    character in a file's name; PostgreSQL cannot store a NUL, and no person means one. The rest of
    the name is kept as sent (always shown escaped; a download cleans it again for its header).
    """
    name = "".join(
        character for character in upload.filename or "" if unicodedata.category(character) != "Cc"
    )
    return name[:FILENAME_MAX] or "file"


def check(files: list[FileStorage]) -> list[str]:
    """Problems with the files, as messages for the form; empty when all may be kept."""
    if len(files) > MAX_FILES:
        return [_("You can attach at most %(count)d files.", count=MAX_FILES)]
    allowed = allowed_types()
    errors = []
    for upload in files:
        if _detect(upload, allowed) is None:
            errors.append(
                _(
                    "“%(name)s” is not a file type we accept (%(types)s).",
                    name=file_name(upload),
                    types=", ".join(allowed),
                )
            )
    return errors


def oversized(files: list[FileStorage]) -> list[str]:
    """Each file over the largest size accepted, named with that size; empty when all fit.

    ``save`` refuses such a file as it streams it; asking first refuses it before anything is stored,
    where nothing can be kept of the rest (a mail, an API request).
    """
    limit = max_bytes()
    return [
        _(
            "“%(name)s” is larger than %(size)s, the largest file we accept.",
            name=file_name(upload),
            size=format_file_size(limit),
        )
        for upload in files
        if upload_size(upload) > limit
    ]


def save(message: Message, files: list[FileStorage]) -> list[str]:
    """Keep the files (already checked) for ``message``; returns problems, and the caller rolls back.

    Each stored file goes when its transaction rolls back (a problem with a later file, the same
    form stored by another request first), so no file is left without its row.
    """
    limit = max_bytes()
    allowed = allowed_types()
    for upload in files:
        mimetype = _detect(upload, allowed) or "application/octet-stream"
        try:
            stored = storage().save(
                upload.stream, prefix="tickets", filename_hint=upload.filename or "", max_bytes=limit
            )
        except FileTooLargeError as error:
            return [str(error)]
        except StorageError:
            return [_("We could not keep your file just now. Please try again.")]
        discard_unless_committed(stored.key)
        db.session.add(
            Attachment(
                ticket_id=message.ticket_id,
                message_id=message.id,
                storage_key=stored.key,
                filename=file_name(upload),
                mimetype=mimetype,
                size=stored.size,
            )
        )
    return []


def download(attachment: Attachment) -> Response:
    """The file as every download of it is sent, by the pages and the API alike, once access is checked.

    Always an attachment (never shown in the portal's origin), typed by what its content was found to
    be, named safely, resumable, and handed to the web server when storage is set up for it.
    """
    return storage().download_response(
        attachment.storage_key, download_name=attachment.filename, mimetype=attachment.mimetype
    )
