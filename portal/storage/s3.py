"""Files in S3-compatible object storage (AWS S3, MinIO, Ceph, Garage…), for more than one app server.

Uploads go up in parts of PART_SIZE, each staged in one temporary file on disk, so memory stays
flat whatever the file's size and a stream that turns out too large is aborted before it is
completed: S3 never shows a partial object. Downloads are ranged GetObject calls read in chunks or,
with PORTAL_STORAGE_ACCEL_REDIRECT, fetched by nginx itself from a short-lived presigned URL.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any, BinaryIO, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Response, request
from werkzeug.exceptions import NotFound

from portal.config import ConfigError
from portal.storage.base import Storage
from portal.storage.downloads import CHUNK_SIZE, FileInfo, accel_redirect
from portal.storage.errors import MissingFileError, StorageError
from portal.storage.keys import check_key

PART_SIZE = 8 * 1024 * 1024  # S3 needs at least 5 MiB for every part but the last
URL_OPTIONS = {"endpoint_url", "region", "addressing_style"}
AddressingStyle = Literal["auto", "virtual", "path"]
ADDRESSING_STYLES: tuple[AddressingStyle, ...] = ("auto", "virtual", "path")
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
# nginx follows the X-Accel-Redirect as soon as it reads it: a minute covers a slow proxy, and a URL
# copied out of a log is useless soon after.
PRESIGNED_URL_SECONDS = 60


class S3Storage(Storage):
    """Keeps each file as the object ``<prefix>/<key>`` in one bucket."""

    def __init__(self, client: Any, bucket: str, prefix: str = "", *, accel_prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.accel_prefix = accel_prefix

    def object_key(self, key: str) -> str:
        """The object's name in the bucket: the configured prefix and the checked key."""
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _write(self, key: str, chunks: Iterator[bytes]) -> None:
        name = self.object_key(key)
        with tempfile.TemporaryFile() as staging, _s3_errors("store", key):
            part = PartBuffer(staging)
            upload_id: str | None = None
            done: list[dict[str, Any]] = []
            try:
                for chunk in chunks:
                    part.write(chunk)
                    if part.size >= PART_SIZE:
                        if upload_id is None:
                            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=name)[
                                "UploadId"
                            ]
                        done.append(self._upload_part(name, upload_id, len(done) + 1, part))
                if upload_id is None:
                    self.client.put_object(
                        Bucket=self.bucket,
                        Key=name,
                        Body=part.rewound(),
                        ContentLength=part.size,
                        ContentMD5=part.md5(),
                    )
                    return
                if part.size:
                    done.append(self._upload_part(name, upload_id, len(done) + 1, part))
                self.client.complete_multipart_upload(
                    Bucket=self.bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": done}
                )
            except BaseException:
                if upload_id is not None:
                    with suppress(BotoCoreError, ClientError):
                        self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
                raise

    def _upload_part(self, name: str, upload_id: str, number: int, part: PartBuffer) -> dict[str, Any]:
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=name,
            UploadId=upload_id,
            PartNumber=number,
            Body=part.rewound(),
            ContentLength=part.size,
            ContentMD5=part.md5(),
        )
        part.reset()
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def open(self, key: str) -> BinaryIO:
        """A buffered stream over the object's body; raises ``MissingFileError`` when there is none."""
        with _s3_errors("open", key):
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        return io.BufferedReader(BodyReader(answer["Body"]), CHUNK_SIZE)

    def _open_range(self, key: str, start: int, stop: int) -> BinaryIO:
        with _s3_errors("open", key):
            answer = self.client.get_object(
                Bucket=self.bucket, Key=self.object_key(key), Range=f"bytes={start}-{stop - 1}"
            )
        return io.BufferedReader(BodyReader(answer["Body"]), CHUNK_SIZE)

    def delete(self, key: str) -> None:
        """Remove the object; S3 answers the same whether it was there or not."""
        with _s3_errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def exists(self, key: str) -> bool:
        """Whether the object is there (one HEAD request)."""
        try:
            self.describe(key)
        except MissingFileError:
            return False
        return True

    def keys(self) -> Iterator[str]:
        """The key of every object under the configured prefix, a page of ListObjectsV2 at a time.

        Paged because one call answers at most 1000 objects, and lazy so a large bucket is never
        listed whole into memory.
        """
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
        with _s3_errors("list", start or "/"):
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(start) :]

    def describe(self, key: str) -> FileInfo:
        """Size, ETag and modification time from a HEAD request."""
        with _s3_errors("read", key):
            head = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        return FileInfo(
            size=int(head["ContentLength"]), etag=head["ETag"].strip('"'), last_modified=head["LastModified"]
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
        """Stream the object, or with PORTAL_STORAGE_ACCEL_REDIRECT set hand the fetching to nginx.

        The object is checked first, so a missing one is the portal's 404 page and not the storage's
        error; nginx then fetches it from a presigned URL and answers ranges and revalidations with
        the object storage's own ETag, as the streamed download would.
        """
        if not self.accel_prefix:
            return super().download_response(
                key, download_name=download_name, mimetype=mimetype, inline=inline, conditional=conditional
            )
        if not self.exists(key):
            raise NotFound()
        return accel_redirect(
            self.accel_location(key, head=request.method == "HEAD"),
            download_name=download_name,
            mimetype=mimetype,
            inline=inline,
        )

    def accel_location(self, key: str, *, head: bool = False) -> str:
        """The X-Accel-Redirect target: the accel prefix, then a presigned URL's path and query.

        Only the path and query travel: nginx's internal location proxies them to the one S3 endpoint
        it is configured with, so the header cannot send nginx anywhere else. A presigned URL is
        signed for one method, hence ``head`` for a HEAD request that nginx passes on as HEAD.
        """
        with _s3_errors("sign a download of", key):
            url = self.client.generate_presigned_url(
                "head_object" if head else "get_object",
                Params={"Bucket": self.bucket, "Key": self.object_key(key)},
                ExpiresIn=PRESIGNED_URL_SECONDS,
            )
        parts = urlsplit(url)
        return f"{self.accel_prefix}{parts.path.lstrip('/')}?{parts.query}"


class PartBuffer:
    """One upload part staged in a temporary file, with its size and MD5 (S3 checks the MD5)."""

    def __init__(self, staging: IO[bytes]) -> None:
        self._staging = staging
        self.reset()

    def write(self, chunk: bytes) -> None:
        """Append a chunk to the part."""
        self._staging.write(chunk)
        self._md5.update(chunk)
        self.size += len(chunk)

    def md5(self) -> str:
        """The part's MD5 in base64, as the Content-MD5 header wants it."""
        return base64.b64encode(self._md5.digest()).decode("ascii")

    def rewound(self) -> IO[bytes]:
        """The staging file positioned at the part's first byte, ready to be sent."""
        self._staging.flush()
        self._staging.seek(0)
        return self._staging

    def reset(self) -> None:
        """Empty the part so the staging file can take the next one."""
        self._staging.seek(0)
        self._staging.truncate()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0


class BodyReader(io.RawIOBase):
    """botocore's streaming body as a raw binary stream, so callers get an ordinary file object."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        """Always readable; never seekable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next bytes of the body; 0 at the end."""
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Give the HTTP connection back to the pool."""
        if not self.closed:
            self._body.close()
        super().close()


@contextmanager
def _s3_errors(action: str, key: str) -> Iterator[None]:
    """Turn botocore's errors into StorageError, and a missing object into MissingFileError."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in MISSING_CODES:
            raise MissingFileError(f"No stored file under key {key!r}.") from None
        raise StorageError(f"Object storage refused to {action} {key}: {code or error}") from error
    except BotoCoreError as error:
        raise StorageError(f"Object storage could not {action} {key}: {error}") from error


def s3_storage_from_url(url: str, *, accel_prefix: str = "") -> S3Storage:
    """Build the backend from ``s3://[key:secret@]bucket[/prefix][?endpoint_url=…&region=…]``.

    Without credentials in the URL, boto3's usual chain applies (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, a profile, an instance role).
    """
    parts = urlsplit(url)
    bucket = parts.hostname or ""
    if not bucket:
        raise ConfigError("PORTAL_STORAGE_URL names no bucket: write s3://bucket/prefix?endpoint_url=…")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - URL_OPTIONS)
    if unknown:
        raise ConfigError(
            f"PORTAL_STORAGE_URL has unknown option(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(URL_OPTIONS))}."
        )
    prefix = parts.path.strip("/")
    if prefix:
        try:
            check_key(prefix)
        except StorageError as error:
            raise ConfigError(f"PORTAL_STORAGE_URL has an unusable prefix: {error}") from None
    endpoint = options.get("endpoint_url") or None
    style = _addressing_style(options.get("addressing_style") or "", endpoint)
    session = boto3.session.Session(
        aws_access_key_id=unquote(parts.username) if parts.username else None,
        aws_secret_access_key=unquote(parts.password) if parts.password else None,
        region_name=options.get("region") or None,
    )
    client = session.client(
        "s3",
        endpoint_url=endpoint,
        config=Config(
            s3={"addressing_style": style},
            # We send Content-MD5 ourselves; the newer CRC trailers trip up some S3-compatible servers.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"mode": "standard"},
        ),
    )
    return S3Storage(client, bucket, prefix, accel_prefix=accel_prefix)


def _addressing_style(value: str, endpoint: str | None) -> AddressingStyle:
    """The URL's addressing_style, checked: path style by default for a custom endpoint (MinIO)."""
    if not value:
        return "path" if endpoint else "auto"
    for style in ADDRESSING_STYLES:
        if value == style:
            return style
    raise ConfigError(
        f"PORTAL_STORAGE_URL has addressing_style={value}; use one of {', '.join(ADDRESSING_STYLES)}."
    )
