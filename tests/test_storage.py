"""File storage: one test set run on the local folder and on S3-compatible object storage.

The S3 half talks HTTP to moto's server mode on 127.0.0.1. moto stands in for real object storage
(AWS S3, MinIO…): the backend makes its real boto3 calls, and moto answers them the way S3 does.
Downloads go through a small view on a test app, so the headers are the ones a browser would get.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import boto3
import pytest
from flask import Flask, jsonify, request
from moto.server import ThreadedMotoServer
from werkzeug.http import parse_options_header

from portal import create_app
from portal.config import ConfigError
from portal.database import db
from portal.plugin import FileTooLargeError, MissingFileError, StorageError, detect_type, public, storage
from portal.storage import Storage, storage_from_config
from portal.storage.filetypes import HEAD_BYTES, KNOWN_TYPES
from portal.storage.local import LocalStorage
from portal.storage.s3 import S3Storage
from portal.testing import post_form
from portal.testing.fixtures import DatabaseTemplates, base_config

BUCKET = "portal-test"
GENERATED_KEY = re.compile(r"documents/\d{4}/\d{2}/[0-9a-f]{32}(\.[a-z0-9]{1,10})?")
MB = 1024 * 1024
PERSIAN_NAME = "گزارش مالی ۱۴۰۳.pdf"
TRAVERSAL_KEYS = [
    "../outside.txt",
    "documents/../../outside.txt",
    "documents/..",
    "/etc/passwd",
    "documents\\..\\outside.txt",
    "documents/a\x00b",
    "documents//a",
    "documents/.hidden",
    "documents/a b",
    "documents/سند.pdf",
    "",
]


class PatternStream:
    """``size`` bytes of a repeated random 1 MiB block, made as they are read and never held whole.

    ``digest`` is the SHA-256 of what it has handed out, to compare with what storage reports.
    """

    block_size = MB

    def __init__(self, size: int) -> None:
        self._block = random.Random(size).randbytes(self.block_size)
        self._size = size
        self._position = 0
        self.digest = hashlib.sha256()

    def read(self, limit: int = -1) -> bytes:
        left = self._size - self._position
        wanted = left if limit < 0 else min(limit, left)
        offset = self._position % self.block_size
        chunk = self._block[offset : offset + min(wanted, self.block_size - offset)]
        self._position += len(chunk)
        self.digest.update(chunk)
        return chunk


# --- the backends -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible server for the whole run, with the test bucket made.

    moto's server mode stands in for real object storage here: nothing leaves this machine, and the
    S3 backend's requests are the ones it would send to AWS S3 or MinIO.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def storage_config(
    storage_backend: str,
    request: pytest.FixtureRequest,
    database_templates: DatabaseTemplates,
    tmp_path: Path,
) -> dict[str, object]:
    """Settings for a test app on SQLite only: the database backend does not matter to storage.

    The S3 backend gets its own prefix per test in the shared bucket, so tests cannot see each other.
    """
    database_url, _drop = database_templates.copy("sqlite", tmp_path)
    config = base_config(tmp_path / "instance", database_url, [])
    if storage_backend == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        config["PORTAL_STORAGE_URL"] = (
            f"s3://test:test@{BUCKET}/run-{uuid.uuid4().hex[:12]}?endpoint_url={endpoint}&region=us-east-1"
        )
    return config


@pytest.fixture
def storage_app(storage_config: dict[str, object]) -> Iterator[Flask]:
    app = create_app(dict(storage_config))
    _add_test_views(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def store(storage_app: Flask) -> Iterator[Storage]:
    with storage_app.app_context():
        yield storage()


def _add_test_views(app: Flask) -> None:
    """What a plugin's views would do: save an upload, and answer a download through storage."""

    @app.get("/test-files/<path:key>")
    @public
    def download_file(key: str):
        return storage().download_response(
            key,
            download_name=request.args.get("name", "file.bin"),
            mimetype=request.args.get("type", "application/octet-stream"),
            inline="inline" in request.args,
        )

    @app.post("/test-files")
    @public
    def upload_file():
        upload = request.files["file"]
        try:
            stored = storage().save(
                upload.stream, prefix="documents", filename_hint=upload.filename or "", max_bytes=MB
            )
        except FileTooLargeError as error:
            return str(error), 413
        return jsonify(key=stored.key, size=stored.size, sha256=stored.sha256)


def leftovers(store: Storage) -> list[str]:
    """Everything the backend holds: files (temporaries too) or objects and unfinished uploads."""
    if isinstance(store, LocalStorage):
        return [str(path) for path in store.root.rglob("*") if path.is_file()]
    assert isinstance(store, S3Storage)
    objects = store.client.list_objects_v2(Bucket=store.bucket, Prefix=store.prefix).get("Contents", [])
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix).get("Uploads", [])
    return [item["Key"] for item in objects + uploads]


def read_all(stream: io.RawIOBase | io.BufferedIOBase) -> bytes:
    with stream:
        return stream.read()


# --- saving, reading, deleting --------------------------------------------------------------------


def test_round_trip_keeps_bytes_size_and_sha256(store):
    content = b"%PDF-1.7 an invoice\n" * 1000

    stored = store.save(io.BytesIO(content), prefix="documents", filename_hint="invoice.pdf")

    assert stored.size == len(content) == store.size(stored.key)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert store.exists(stored.key)
    assert read_all(store.open(stored.key)) == content
    assert b"".join(store.iter_range(stored.key, 5, 12)) == content[5:12]


def test_empty_file_round_trips(store, storage_app):
    stored = store.save(io.BytesIO(b""), prefix="documents", filename_hint="empty.txt")

    assert stored.size == 0 == store.size(stored.key)
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert read_all(store.open(stored.key)) == b""
    response = storage_app.test_client().get(f"/test-files/{stored.key}")
    assert (response.status_code, response.data, response.headers["Content-Length"]) == (200, b"", "0")


def test_delete_removes_the_file_and_is_idempotent(store):
    stored = store.save(io.BytesIO(b"temporary"), prefix="documents")

    store.delete(stored.key)
    store.delete(stored.key)

    assert not store.exists(stored.key)
    assert leftovers(store) == []


def test_missing_file_is_reported_as_missing(store, storage_app):
    key = "documents/2020/01/" + "0" * 32 + ".pdf"

    assert not store.exists(key)
    with pytest.raises(MissingFileError):
        store.open(key)
    with pytest.raises(MissingFileError):
        store.size(key)
    assert storage_app.test_client().get(f"/test-files/{key}").status_code == 404


@pytest.mark.parametrize(
    ("hint", "extension"),
    [
        ("Invoice March.PDF", ".pdf"),
        ("../../etc/passwd", ""),
        ("..\\..\\windows\\win.ini", ".ini"),
        ("<script>alert(1)</script>.html", ".html"),
        ("photo.jpg\x00.exe", ""),
        ("archive.tar.gz", ".gz"),
        ("no extension", ""),
        ("name.averyveryverylongextension", ""),
        ("سند.pdf", ".pdf"),
        (".bashrc", ""),
    ],
)
def test_key_is_generated_never_the_clients_name(store, hint, extension):
    stored = store.save(io.BytesIO(b"x"), prefix="documents", filename_hint=hint)

    assert GENERATED_KEY.fullmatch(stored.key), stored.key
    assert stored.key.endswith(extension)
    assert "passwd" not in stored.key and "script" not in stored.key
    if isinstance(store, LocalStorage):
        assert (store.root / stored.key).resolve().is_relative_to(store.root)


def test_two_saves_with_the_same_name_keep_two_files(store):
    first = store.save(io.BytesIO(b"first"), prefix="documents", filename_hint="same.txt")
    second = store.save(io.BytesIO(b"second"), prefix="documents", filename_hint="same.txt")

    assert first.key != second.key
    assert read_all(store.open(first.key)) == b"first"


@pytest.mark.parametrize(("size", "limit"), [(MB + 1, MB), (20 * MB, 12 * MB)])
def test_max_bytes_rejection_leaves_nothing_behind(store, size, limit):
    # A 12 MB limit is passed after S3 has taken a first 8 MiB part: the multipart upload must be
    # aborted, or the bucket would keep (and bill) the orphaned part.
    with pytest.raises(FileTooLargeError) as raised:
        store.save(PatternStream(size), prefix="documents", filename_hint="big.bin", max_bytes=limit)

    assert raised.value.limit == limit
    assert leftovers(store) == []


def test_max_bytes_allows_a_file_of_exactly_that_size(store):
    stored = store.save(PatternStream(MB), prefix="documents", max_bytes=MB)

    assert stored.size == MB


@pytest.mark.parametrize("key", TRAVERSAL_KEYS)
def test_traversal_keys_are_refused(store, storage_app, key):
    for action in (store.open, store.size, store.exists, store.delete):
        with pytest.raises(StorageError):
            action(key)
    with storage_app.test_request_context("/"), pytest.raises(StorageError):
        store.download_response(key, download_name="x.txt", mimetype="text/plain")


@pytest.mark.parametrize("prefix", ["../documents", "documents/../..", "", "/", "a b"])
def test_a_bad_prefix_is_refused(store, prefix):
    with pytest.raises(StorageError):
        store.save(io.BytesIO(b"x"), prefix=prefix)
    assert leftovers(store) == []


def test_local_keys_cannot_follow_a_link_out_of_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not yours")
    local = LocalStorage(tmp_path / "files")
    (local.root / "documents").mkdir()
    (local.root / "documents" / "link").symlink_to(outside)

    with pytest.raises(StorageError, match="outside the storage folder"):
        local.open("documents/link/secret.txt")


def test_upload_through_a_form_is_stored_under_a_generated_key(storage_app):
    client = storage_app.test_client()
    content = b"hello from a browser upload"

    response = post_form(client, "/test-files", {"file": (io.BytesIO(content), "../../etc/passwd.txt")})

    assert response.status_code == 200
    answer = response.get_json()
    assert GENERATED_KEY.fullmatch(answer["key"]) and answer["key"].endswith(".txt")
    assert answer["sha256"] == hashlib.sha256(content).hexdigest()
    assert client.get(f"/test-files/{answer['key']}").data == content


def test_too_large_upload_tells_the_person_the_limit(storage_app):
    client = storage_app.test_client()

    response = post_form(client, "/test-files", {"file": (PatternStream(MB + 10), "big.bin")})

    assert response.status_code == 413
    assert response.get_data(as_text=True) == "The file is larger than the limit of 1 MB."
    with storage_app.app_context():
        assert leftovers(storage()) == []


# --- downloads ----------------------------------------------------------------------------------


@pytest.fixture
def sample(store) -> tuple[str, bytes]:
    content = bytes(range(256)) * 40
    return store.save(io.BytesIO(content), prefix="documents", filename_hint="sample.bin").key, content


def test_download_streams_the_file_with_protective_headers(storage_app, sample):
    key, content = sample

    response = storage_app.test_client().get(f"/test-files/{key}?name=report.pdf&type=application/pdf")

    assert response.status_code == 200
    assert response.data == content
    headers = response.headers
    assert headers["Content-Length"] == str(len(content))
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["ETag"] and headers["Last-Modified"]
    assert "private" in headers["Cache-Control"]


def test_inline_download_is_still_sandboxed(storage_app, store):
    key = store.save(io.BytesIO(b"<script>alert(document.cookie)</script>"), prefix="documents").key

    response = storage_app.test_client().get(f"/test-files/{key}?name=page.html&type=text/html&inline=1")

    assert response.headers["Content-Disposition"] == 'inline; filename="page.html"'
    assert response.headers["Content-Type"] == "text/html"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_head_answers_the_size_without_a_body(storage_app, sample):
    key, content = sample

    response = storage_app.test_client().head(f"/test-files/{key}")

    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(content))
    assert response.data == b""


@pytest.mark.parametrize(
    ("range_header", "start", "stop"),
    [("bytes=2-5", 2, 6), ("bytes=-3", 10237, 10240), ("bytes=10000-", 10000, 10240)],
)
def test_range_request_gets_206_with_just_those_bytes(storage_app, sample, range_header, start, stop):
    key, content = sample

    response = storage_app.test_client().get(f"/test-files/{key}", headers={"Range": range_header})

    assert response.status_code == 206
    assert response.data == content[start:stop]
    assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(content)}"
    assert response.headers["Content-Length"] == str(stop - start)


def test_unsatisfiable_range_gets_416(storage_app, sample):
    key, content = sample

    response = storage_app.test_client().get(f"/test-files/{key}", headers={"Range": "bytes=99999-"})

    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(content)}"


def test_stale_if_range_gets_the_whole_file(storage_app, sample):
    key, content = sample

    response = storage_app.test_client().get(
        f"/test-files/{key}", headers={"Range": "bytes=0-9", "If-Range": '"an-older-version"'}
    )

    assert response.status_code == 200
    assert response.data == content


def test_unchanged_file_gets_304(storage_app, sample):
    key, _content = sample
    client = storage_app.test_client()
    first = client.get(f"/test-files/{key}")

    by_etag = client.get(f"/test-files/{key}", headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(f"/test-files/{key}", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    changed = client.get(f"/test-files/{key}", headers={"If-None-Match": '"something-else"'})

    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_date.status_code == 304
    assert changed.status_code == 200


def test_persian_name_survives_in_content_disposition(storage_app, sample):
    key, _content = sample

    response = storage_app.test_client().get(f"/test-files/{key}?name={quote(PERSIAN_NAME)}")

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="download.pdf"; ')
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == PERSIAN_NAME


@pytest.mark.parametrize(
    ("name", "saved_as"),
    [
        ('evil.pdf"; filename="evil.exe', 'evil.pdf"; filename="evil.exe'),
        ("evil.pdf\r\nSet-Cookie: session=stolen", "evil.pdfSet-Cookie: session=stolen"),
        ("evil.pdf\nX-Injected: 1", "evil.pdfX-Injected: 1"),
        ("a\\b/../c.pdf", "a_b_.._c.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("", "download"),
    ],
)
def test_a_crafted_name_cannot_inject_headers_or_hide_the_extension(storage_app, sample, name, saved_as):
    key, _content = sample

    response = storage_app.test_client().get(f"/test-files/{key}?name={quote(name)}")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "X-Injected" not in response.headers
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.count("filename=") == 1
    value, options = parse_options_header(disposition)
    # werkzeug reads filename* when present, as a browser does: this is the name the file gets.
    assert (value, options["filename"]) == ("attachment", saved_as)


def test_a_crafted_media_type_falls_back_to_octet_stream(storage_app, sample):
    key, _content = sample

    crafted = "text/html; x=1\r\nX-Injected: 1"

    response = storage_app.test_client().get(f"/test-files/{key}?type={quote(crafted)}")

    assert response.headers["Content-Type"] == "application/octet-stream"
    assert "X-Injected" not in response.headers


# --- nginx, configuration -----------------------------------------------------------------------


def test_accel_redirect_hands_local_downloads_to_nginx(database_templates, tmp_path):
    database_url, _drop = database_templates.copy("sqlite", tmp_path)
    config = base_config(tmp_path / "instance", database_url, [])
    config["PORTAL_STORAGE_ACCEL_REDIRECT"] = "/protected-files"
    app = create_app(config)
    _add_test_views(app)
    with app.app_context():
        key = storage().save(io.BytesIO(b"served by nginx"), prefix="documents").key

    response = app.test_client().get(f"/test-files/{key}?name={quote(PERSIAN_NAME)}&type=application/pdf")
    missing = app.test_client().get("/test-files/documents/2020/01/" + "0" * 32)

    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Accel-Redirect"] == f"/protected-files/{key}"
    assert response.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert missing.status_code == 404
    with app.app_context():
        db.engine.dispose()


def test_default_storage_is_a_folder_in_instance(tmp_path):
    chosen = storage_from_config({"PORTAL_STORAGE_URL": ""}, tmp_path / "instance")

    assert isinstance(chosen, LocalStorage)
    assert chosen.root == (tmp_path / "instance" / "files").resolve()


def test_file_url_chooses_the_folder(tmp_path):
    chosen = storage_from_config({"PORTAL_STORAGE_URL": f"file://{tmp_path}/elsewhere"}, tmp_path / "i")

    assert isinstance(chosen, LocalStorage)
    assert chosen.root == (tmp_path / "elsewhere").resolve()


def test_s3_url_carries_bucket_prefix_endpoint_and_credentials(tmp_path):
    url = "s3://AKID:se%2Fcret@my-bucket/portal/files?endpoint_url=http://127.0.0.1:9000&region=eu-west-1"

    chosen = storage_from_config({"PORTAL_STORAGE_URL": url}, tmp_path)

    assert isinstance(chosen, S3Storage)
    assert (chosen.bucket, chosen.prefix) == ("my-bucket", "portal/files")
    assert chosen.client.meta.endpoint_url == "http://127.0.0.1:9000"
    assert chosen.client.meta.region_name == "eu-west-1"
    credentials = chosen.client._request_signer._credentials  # botocore has no public accessor
    assert (credentials.access_key, credentials.secret_key) == ("AKID", "se/cret")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"PORTAL_STORAGE_URL": "ftp://files.example.com/"}, "must be empty"),
        ({"PORTAL_STORAGE_URL": "file://relative/path"}, "absolute path"),
        ({"PORTAL_STORAGE_URL": "s3:///prefix"}, "names no bucket"),
        ({"PORTAL_STORAGE_URL": "s3://bucket/x?endpoint=http://a"}, "unknown option"),
        ({"PORTAL_STORAGE_URL": "s3://bucket/../x"}, "unusable prefix"),
        ({"PORTAL_STORAGE_ACCEL_REDIRECT": "protected-files/"}, "URL path"),
    ],
)
def test_misconfigured_storage_stops_the_start(tmp_path, settings, message):
    with pytest.raises(ConfigError, match=message):
        storage_from_config(settings, tmp_path)


# --- a large file -------------------------------------------------------------------------------


def test_a_100_mb_file_streams_in_and_out_intact(store, storage_app):
    # Content is checked by hash on the way in, back out of open() and through a download; nothing
    # here holds the file whole. Peak memory is measured by benchmarks/storage_memory.py.
    size = 100 * MB
    source = PatternStream(size)

    stored = store.save(source, prefix="documents", filename_hint="large.bin")

    assert stored.size == size
    assert stored.sha256 == source.digest.hexdigest()
    read_back = hashlib.sha256()
    with store.open(stored.key) as stream:
        while chunk := stream.read(MB):
            read_back.update(chunk)
    assert read_back.hexdigest() == stored.sha256

    response = storage_app.test_client().get(f"/test-files/{stored.key}", buffered=False)
    downloaded = hashlib.sha256()
    received = 0
    for chunk in response.response:
        assert len(chunk) <= 64 * 1024, "downloads go out in fixed chunks"
        downloaded.update(chunk)
        received += len(chunk)
    response.close()
    assert response.headers["Content-Length"] == str(size) and received == size
    assert downloaded.hexdigest() == stored.sha256


# --- files that follow their rows -------------------------------------------------------------------


def test_a_file_deleted_with_its_row_goes_only_when_the_transaction_commits(app):
    from portal.plugin import delete_after_commit

    with app.app_context():
        kept = storage().save(io.BytesIO(b"receipt"), prefix="documents")
        gone = storage().save(io.BytesIO(b"invoice"), prefix="documents")
        delete_after_commit(kept.key)
        assert storage().exists(kept.key), "nothing happens before the commit"
        db.session.rollback()
        assert storage().exists(kept.key), "a rolled-back deletion keeps the file"
        db.session.commit()
        assert storage().exists(kept.key), "and the next commit does not delete it either"
        delete_after_commit(gone.key)
        db.session.commit()
        assert not storage().exists(gone.key)


def test_a_savepoint_commit_is_not_the_end_of_the_transaction(app):
    from portal.plugin import delete_after_commit

    with app.app_context():
        stored = storage().save(io.BytesIO(b"contract"), prefix="documents")
        with db.session.begin_nested():
            delete_after_commit(stored.key)
        assert storage().exists(stored.key)
        db.session.rollback()
        assert storage().exists(stored.key)


def test_a_new_file_goes_when_its_row_never_commits(app):
    from portal.plugin import discard_unless_committed

    with app.app_context():
        lost = storage().save(io.BytesIO(b"draft"), prefix="documents")
        discard_unless_committed(lost.key)
        db.session.rollback()
        assert not storage().exists(lost.key)
        kept = storage().save(io.BytesIO(b"final"), prefix="documents")
        discard_unless_committed(kept.key)
        db.session.commit()
        db.session.rollback()
        assert storage().exists(kept.key), "once committed, a later rollback does not touch it"


def test_a_file_that_cannot_be_deleted_after_commit_is_logged_not_raised(app, caplog):
    from portal.plugin import delete_after_commit

    with app.app_context():
        delete_after_commit("documents/../escape")
        db.session.commit()
    assert "Could not delete stored file documents/../escape" in caplog.text


def office_file(part: str) -> bytes:
    """A minimal Office archive: the content-types part and the one part that names its kind."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


EVERY_TYPE = sorted(KNOWN_TYPES)
SAMPLES = {
    "application/pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "image/png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
    "image/jpeg": b"\xff\xd8\xff\xe0" + b"\x00" * 32,
    "image/gif": b"GIF89a" + b"\x00" * 32,
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32,
    "text/plain": "سلام, a note\twith tabs\n".encode(),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": office_file(
        "word/document.xml"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": office_file("xl/workbook.xml"),
}


@pytest.mark.parametrize("mimetype", EVERY_TYPE)
def test_detect_type_names_each_known_type_by_its_content(mimetype):
    stream = io.BytesIO(SAMPLES[mimetype])
    stream.seek(5)
    assert detect_type(stream, EVERY_TYPE) == mimetype
    assert stream.tell() == 0, "the stream is left at its start, ready to be stored"


@pytest.mark.parametrize("mimetype", EVERY_TYPE)
def test_detect_type_refuses_a_known_type_the_caller_does_not_allow(mimetype):
    others = [other for other in EVERY_TYPE if other != mimetype]
    assert detect_type(io.BytesIO(SAMPLES[mimetype]), others) is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"MZ\x90\x00binary",
        b"plain words\x00with a NUL",
        b"\xff\xfe not UTF-8",
        b"PK\x03\x04 a broken archive",
        office_file("content.xml"),
    ],
    ids=["empty", "executable", "nul", "not-utf8", "broken-zip", "other-zip"],
)
def test_detect_type_refuses_what_it_cannot_recognise(content):
    assert detect_type(io.BytesIO(content), EVERY_TYPE) is None


def test_a_character_cut_at_the_end_of_the_sample_is_still_text():
    text = ("a" * (HEAD_BYTES - 1) + "ی").encode()
    assert detect_type(io.BytesIO(text), ["text/plain"]) == "text/plain"
    assert detect_type(io.BytesIO(text[:HEAD_BYTES]), ["text/plain"]) is None, "cut at the file's own end"


def test_detect_type_refuses_a_type_it_cannot_recognise_when_asked_for_it():
    with pytest.raises(ValueError, match="image/svg\\+xml"):
        detect_type(io.BytesIO(b"<svg/>"), ["image/svg+xml"])


# --- nginx fetching from object storage ------------------------------------------------------------


def test_accel_redirect_hands_s3_downloads_to_nginx_as_presigned(database_templates, tmp_path, s3_endpoint):
    # nginx's internal location proxies the redirect's path and query to the endpoint; requests does
    # the same here, so the test shows the location is one the object storage honours.
    import requests

    database_url, _drop = database_templates.copy("sqlite", tmp_path)
    config = base_config(tmp_path / "instance", database_url, [])
    prefix = f"run-{uuid.uuid4().hex[:12]}"
    config["PORTAL_STORAGE_URL"] = (
        f"s3://test:test@{BUCKET}/{prefix}?endpoint_url={s3_endpoint}&region=us-east-1"
    )
    config["PORTAL_STORAGE_ACCEL_REDIRECT"] = "/_s3/"
    app = create_app(config)
    _add_test_views(app)
    with app.app_context():
        key = storage().save(io.BytesIO(b"fetched by nginx"), prefix="documents").key
    url = f"/test-files/{key}?name={quote(PERSIAN_NAME)}&type=application/pdf"

    response = app.test_client().get(url)
    head = app.test_client().head(url)
    missing = app.test_client().get("/test-files/documents/2020/01/" + "0" * 32)

    location = response.headers["X-Accel-Redirect"]
    assert response.status_code == 200
    assert response.data == b""
    assert location.startswith(f"/_s3/{BUCKET}/{prefix}/{key}?")
    assert response.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    fetched = requests.get(s3_endpoint + location.removeprefix("/_s3"), timeout=5)
    assert fetched.content == b"fetched by nginx"
    assert head.headers["X-Accel-Redirect"] != location  # signed for HEAD, which nginx passes on as HEAD
    assert missing.status_code == 404
    with app.app_context():
        db.engine.dispose()
