"""What an upload really is, decided from its first bytes, never from its name or the browser's word."""

from __future__ import annotations

import zipfile
from typing import BinaryIO

SNIFF_BYTES = 8192
MARKUP_SIGNS = (b"<!doctype", b"<html", b"<svg", b"<script", b"<?xml", b"<body", b"<iframe")

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def detect(stream: BinaryIO) -> str | None:
    """The MIME type of an accepted file, or ``None`` for anything we do not publish.

    Leaves the stream at its start. Web pages and SVG images are refused even as text, so no upload
    can ever be shown as a page of the portal.
    """
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _office(stream)
    return _text(head)


def _office(stream: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        stream.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _text(head: bytes) -> str | None:
    if not head or b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the sniff boundary is still text.
        try:
            text = head[:-3].decode("utf-8") if len(head) == SNIFF_BYTES else ""
        except UnicodeDecodeError:
            return None
        if not text:
            return None
    lowered = text.lstrip("\ufeff \t\r\n").lower().encode()
    if any(sign in lowered for sign in MARKUP_SIGNS):
        return None
    if any(ord(char) < 32 and char not in "\t\r\n\f" for char in text):
        return None
    return TEXT
