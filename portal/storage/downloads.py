"""Download responses: streamed in fixed chunks, named safely, and unable to run in the portal's origin.

Any stored file may have been uploaded by anyone, so every download carries ``nosniff`` and a
sandboxing Content-Security-Policy: an HTML or SVG file opened inline cannot run script against the
portal. The file name a person sees is put into Content-Disposition per RFC 6266/5987, with an ASCII
fallback for old clients and the exact UTF-8 name (Persian included) for the rest.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable

CHUNK_SIZE = 64 * 1024
FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox"
MAX_NAME_LENGTH = 200
FALLBACK_NAME = "download"
MIMETYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
# Bidi embeddings, overrides and isolates: they make "evil\u202eFDP.exe" look like "evilexe.PDF".
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 ._()+-]+")
ASCII_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,16}")

RangeReader = Callable[[int, int], Iterable[bytes]]


@dataclass(frozen=True)
class FileInfo:
    """What a backend knows about a stored file without reading it: enough for conditional requests."""

    size: int
    etag: str
    last_modified: datetime


class FileSpan:
    """The next ``length`` bytes of an open stream in chunks of CHUNK_SIZE; closes the stream after.

    A class rather than a generator so the WSGI server's ``close()`` releases the file or the
    object-storage connection even when the body is never read (a client gone early).
    """

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = stream
        self._length = length

    def __iter__(self) -> Iterator[bytes]:
        remaining = self._length
        try:
            while remaining > 0:
                chunk = self._stream.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk
        finally:
            self._stream.close()

    def close(self) -> None:
        """Release the underlying file or connection."""
        self._stream.close()


def clean_download_name(download_name: str) -> str:
    """The name with control characters, bidi overrides and path separators taken out, length capped."""
    name = BIDI_CONTROLS.sub("", download_name or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc")
    name = re.sub(r"[/\\]", "_", name).strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        stem, extension = os.path.splitext(name)
        extension = extension[:20]
        name = stem[: MAX_NAME_LENGTH - len(extension)] + extension
    return name or FALLBACK_NAME


def ascii_fallback(name: str) -> str:
    """An ASCII stand-in for clients that ignore ``filename*``: accents dropped, the rest replaced."""
    decomposed = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem, extension = os.path.splitext(decomposed)
    if not ASCII_EXTENSION.fullmatch(extension):
        stem, extension = decomposed, ""
    stem = " ".join(UNSAFE_ASCII.sub("_", stem).split()).strip("_ ")
    return (stem or FALLBACK_NAME) + extension


def content_disposition(download_name: str, *, inline: bool) -> str:
    """A Content-Disposition value that no name can break out of, with the exact name in ``filename*``."""
    name = clean_download_name(download_name)
    fallback = ascii_fallback(name)
    value = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def safe_mimetype(mimetype: str) -> str:
    """The caller's media type when it is a plain ``type/subtype``, else ``application/octet-stream``."""
    return mimetype if MIMETYPE.fullmatch(mimetype or "") else "application/octet-stream"


def _set_file_headers(response: Response, download_name: str, mimetype: str, inline: bool) -> None:
    headers = response.headers
    headers["Content-Type"] = safe_mimetype(mimetype)
    headers["Content-Disposition"] = content_disposition(download_name, inline=inline)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = FILE_CONTENT_SECURITY_POLICY
    headers["Cache-Control"] = "private, no-cache"


def generated_download(content: bytes, *, download_name: str, mimetype: str) -> Response:
    """A file made for this request (a PDF for one reader), named and guarded like a stored download.

    Going through the same naming as stored files keeps the exact name (Persian with its zero-width
    non-joiner) in ``filename*`` with an ASCII fallback, and keeps path separators and control
    characters out; no-store, because the file was made for this reader alone.
    """
    response = Response(content, status=200)
    _set_file_headers(response, download_name, mimetype, inline=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def streamed_download(
    info: FileInfo,
    read_range: RangeReader,
    *,
    download_name: str,
    mimetype: str,
    inline: bool,
    conditional: bool,
) -> Response:
    """Stream a stored file, answering conditional and range requests from its facts alone.

    werkzeug's ``make_conditional`` decides between 200, 206, 304 and 412 before a byte is read;
    only then is the backend asked for exactly the bytes to send.
    """
    response = Response(status=200)
    _set_file_headers(response, download_name, mimetype, inline)
    response.content_length = info.size
    if conditional:
        response.set_etag(info.etag)
        response.last_modified = info.last_modified
        response.headers["Accept-Ranges"] = "bytes"
        try:
            response.make_conditional(request, accept_ranges=True, complete_length=info.size)
        except RequestedRangeNotSatisfiable:
            return _range_not_satisfiable(info.size)
        if response.status_code not in (200, 206):
            return response
    if request.method == "HEAD":
        return response  # the headers say it all; do not open the file or the object
    span = response.content_range
    start, stop = 0, info.size
    if response.status_code == 206 and span and span.start is not None and span.stop is not None:
        start, stop = span.start, span.stop
    response.response = read_range(start, stop)
    return response


def _range_not_satisfiable(size: int) -> Response:
    # Answered here rather than raised: the portal's error pages would drop Content-Range.
    return Response(status=416, headers={"Content-Range": f"bytes */{size}"})


def accel_redirect(location: str, *, download_name: str, mimetype: str, inline: bool) -> Response:
    """An empty answer telling nginx to send the file at ``location`` itself (X-Accel-Redirect).

    ``location`` is an internal nginx location: a storage folder it serves, or object storage it
    proxies a presigned request to. nginx then answers ranges and conditional requests; the portal
    has already done the access check and names and types the download.
    """
    response = Response(status=200)
    _set_file_headers(response, download_name, mimetype, inline)
    response.headers["X-Accel-Redirect"] = location
    return response
