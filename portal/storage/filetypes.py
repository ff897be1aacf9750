"""What an upload really is, decided from its content, never from its name or the browser's word.

Each plugin passes the media types it accepts; the signatures that recognise them live here, once.
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Collection
from typing import IO

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Enough for every signature below and for a fair look at whether a file is text.
HEAD_BYTES = 8192
STARTS: dict[str, tuple[bytes, ...]] = {
    PDF: (b"%PDF-",),
    PNG: (b"\x89PNG\r\n\x1a\n",),
    JPEG: (b"\xff\xd8\xff",),
    GIF: (b"GIF87a", b"GIF89a"),
}
# Office files are zip archives; the part each one must contain tells them apart.
OFFICE_PARTS = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}
KNOWN_TYPES = frozenset({*STARTS, WEBP, TEXT, *OFFICE_PARTS})


def detect_type(stream: IO[bytes], allowed: Collection[str]) -> str | None:
    """The media type the content shows when it is one of ``allowed``, else ``None``.

    Takes the stream rather than its first bytes because an Office file is told apart only by the
    archive's directory at its end. Leaves the stream at its start, ready to be stored. Text is UTF-8
    without NUL bytes; whether it may look like markup is the caller's policy.
    """
    unknown = set(allowed) - KNOWN_TYPES
    if unknown:
        raise ValueError(f"detect_type cannot recognise {sorted(unknown)}; it knows {sorted(KNOWN_TYPES)}")
    stream.seek(0)
    sample = stream.read(HEAD_BYTES + 1)
    stream.seek(0)
    head = sample[:HEAD_BYTES]
    for mimetype, starts in STARTS.items():
        if head.startswith(starts):
            return mimetype if mimetype in allowed else None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP if WEBP in allowed else None
    if head.startswith(b"PK\x03\x04"):
        return _office_type(stream, allowed)
    if TEXT in allowed and _is_text(head, whole=len(sample) <= HEAD_BYTES):
        return TEXT
    return None


def _office_type(stream: IO[bytes], allowed: Collection[str]) -> str | None:
    wanted = {mimetype: part for mimetype, part in OFFICE_PARTS.items() if mimetype in allowed}
    if not wanted:
        return None
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        stream.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    return next((mimetype for mimetype, part in wanted.items() if part in names), None)


def _is_text(head: bytes, *, whole: bool) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        # A character cut at the end of a sample (not of the whole file) is still text.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
    except UnicodeDecodeError:
        return False
    return True
