"""The kinds of file documents publishes: the core decides what a file is, this module what may go out.

Text is held to more than the core's rule: web pages, SVG images and control characters are refused
even as plain text, so no published file can ever be shown as a page of the portal.
"""

from __future__ import annotations

from typing import BinaryIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.plugin import detect_type, format_file_size, get_setting

TEXT = "text/plain"
PUBLISHABLE = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    TEXT,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
# How an upload field names each kind, in PUBLISHABLE's order.
KIND_NAMES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    TEXT: _l("plain text"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
}
MARKUP_SIGNS = (b"<!doctype", b"<html", b"<svg", b"<script", b"<?xml", b"<body", b"<iframe")
TEXT_SAMPLE_BYTES = 8192


def detect(stream: BinaryIO) -> str | None:
    """The media type of a file we publish, or ``None`` for anything else; leaves the stream at its start."""
    mimetype = detect_type(stream, PUBLISHABLE)
    if mimetype == TEXT and not _plain_text(stream):
        return None
    return mimetype


def upload_hint() -> str:
    """What an upload field accepts, said next to it from the same list and setting the upload checks."""
    return _(
        "%(types)s; at most %(size)s.",
        types=", ".join(str(KIND_NAMES[kind]) for kind in PUBLISHABLE),
        size=format_file_size(int(get_setting("documents", "max_upload_mb")) * 1024 * 1024),
    )


def _plain_text(stream: BinaryIO) -> bool:
    sample = stream.read(TEXT_SAMPLE_BYTES)
    stream.seek(0)
    text = sample.decode("utf-8", errors="ignore")  # the core has checked it is UTF-8; a cut end is dropped
    lowered = text.lstrip("\ufeff \t\r\n").lower().encode()
    if any(sign in lowered for sign in MARKUP_SIGNS):
        return False
    return not any(ord(char) < 32 and char not in "\t\r\n\f" for char in text)
