"""What can go wrong when keeping a file, as exceptions a plugin can catch and show."""

from __future__ import annotations

from babel.units import format_unit
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _


class StorageError(Exception):
    """A file could not be stored, found or read; the message says why and, where it can, what to do."""


class MissingFileError(StorageError):
    """No file is stored under the key: it was deleted, or the key was never saved."""


class FileTooLargeError(StorageError):
    """The stream passed ``max_bytes`` while it was being saved; nothing was kept.

    ``str(error)`` is a sentence for the person who uploaded, in their language when a request is
    being served, so a view can put it straight on the form.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"The file is larger than the limit of {limit} bytes.")

    def __str__(self) -> str:
        if not has_request_context():
            return super().__str__()
        return _("The file is larger than the limit of %(limit)s.", limit=readable_size(self.limit))


def readable_size(size: int) -> str:
    """A byte count as people read it (``10 MB``), in the request's language."""
    locale = get_locale() or "en"
    for unit, factor in (("digital-megabyte", 1024**2), ("digital-kilobyte", 1024)):
        if size >= factor:
            return format_unit(round(size / factor, 1), unit, length="short", locale=locale)
    return format_unit(size, "digital-byte", length="short", locale=locale)
