"""``portal backup`` and ``portal restore`` on SQLite and PostgreSQL, through the real CLI.

One portal per backend is built per module (demo data from every plugin, a published document, a
ticket with an attachment) and backed up once; each test restores that archive, or a damaged copy of
it, into a database and storage folder of its own and looks at what an operator or a customer would.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import Result
from flask import Flask
from moto.server import ThreadedMotoServer
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from plugins.documents.models import Document
from plugins.tickets.models import Attachment
from portal import create_app
from portal.accounts.models import User
from portal.backup.archive import MANIFEST_MEMBER
from portal.database import db
from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.storage import storage
from portal.testing import TEST_PASSWORD, create_user, log_in, post_form
from portal.testing.fixtures import (
    BACKENDS,
    POSTGRES_URL,
    DatabaseTemplates,
    base_config,
    service_unavailable,
)

PLUGINS = ["tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter"]
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x01" * 300
CUSTOMER = "sara@example.com"
BUCKET = "portal-backup-test"


@dataclass
class Portal:
    """A test portal: its app, settings, and how to drop its database when done."""

    app: Flask
    config: dict[str, object]
    drop: Callable[[], None]

    def cli(self, *arguments: str, answer: str | None = None) -> Result:
        return self.app.test_cli_runner().invoke(args=list(arguments), input=answer)

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.drop()


def make_portal(backend: str, folder: Path, templates: DatabaseTemplates, *, migrated: bool, **settings):
    """A portal on a database copied from the migrated template, or on a new, empty database."""
    folder.mkdir(parents=True, exist_ok=True)
    if migrated:
        url, drop = templates.copy(backend, folder)
    else:
        url, drop = empty_database(backend, folder)
    config = {**base_config(folder / "instance", url, PLUGINS), **settings}
    return Portal(create_app(dict(config)), config, drop)


def empty_database(backend: str, folder: Path) -> tuple[str, Callable[[], None]]:
    """A database with nothing in it, not even tables: a new machine before its first migration."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'new.sqlite3'}", lambda: None
    import psycopg

    name = f"portal_restore_{uuid.uuid4().hex[:10]}"
    admin = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), drop


def table_contents(app: Flask) -> dict[str, list[str]]:
    """Every row of every table, as sorted text, so two databases can be compared whole."""
    with app.app_context(), db.engine.connect() as connection:
        quote = connection.dialect.identifier_preparer.quote
        return {
            name: sorted(repr(tuple(row)) for row in connection.execute(text(f"SELECT * FROM {quote(name)}")))  # noqa: S608
            for name in inspect(connection).get_table_names()
        }


def stored_files(app: Flask) -> dict[str, bytes]:
    """Every stored file's bytes by key, read through the storage."""
    with app.app_context():
        store = storage()
        contents = {}
        for key in store.keys():  # noqa: SIM118  (a Storage, not a dict)
            with store.open(key) as stream:
                contents[key] = stream.read()
        return contents


@dataclass
class Source:
    """The portal that was backed up, the archive, and what a customer will look for after a restore."""

    backend: str
    portal: Portal
    archive: Path
    document_id: int
    ticket_id: int
    attachment_id: int
    output: str


@pytest.fixture(scope="module", params=BACKENDS)
def source(
    request: pytest.FixtureRequest,
    database_templates: DatabaseTemplates,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Source]:
    """A portal with demo data, a published document and a ticket attachment, backed up by the CLI."""
    backend = request.param
    if backend == "postgresql" and shutil.which("pg_dump") is None:
        service_unavailable("pg_dump is not on PATH: install postgresql-client to back up PostgreSQL.")
    folder = tmp_path_factory.mktemp(f"backup-source-{backend}")
    portal = make_portal(backend, folder, database_templates, migrated=True)
    with portal.app.app_context():
        load_demo_data()
    staff = portal.app.test_client()
    log_in(staff, "agent@example.com", DEMO_PASSWORD)
    published = post_form(
        staff,
        "/staff/documents/new",
        {
            "title": "Invoice 7",
            "description": "November invoice",
            "category": "invoice",
            "audience": "customer",
            "customer_email": CUSTOMER,
            "segment": "all-customers",
            "template": "",
            "publish_now": "y",
            "file": (io.BytesIO(PDF), "invoice.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert published.status_code == 302, published.get_data(as_text=True)
    customer = portal.app.test_client()
    log_in(customer, CUSTOMER, DEMO_PASSWORD)
    opened = post_form(
        customer,
        "/tickets/new",
        {
            "subject": "Screenshot of the error",
            "body": "See the picture.",
            "category": "problem",
            "priority": "normal",
            "files": [(io.BytesIO(PNG), "error.png")],
        },
        content_type="multipart/form-data",
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)
    with portal.app.app_context():
        document_id = db.session.scalar(select(Document.id).where(Document.title == "Invoice 7"))
        attachment = db.session.scalars(select(Attachment)).one()
        ticket_id, attachment_id = attachment.ticket_id, attachment.id
        root = Path(storage().root)  # type: ignore[attr-defined]
    (root / "documents" / ".upload-abandoned.part").write_bytes(b"half an upload")
    archive = folder / "portal-backup.tar.gz"
    result = portal.cli("backup", str(archive))
    assert result.exit_code == 0, result.output
    yield Source(backend, portal, archive, document_id, ticket_id, attachment_id, result.output)
    portal.close()


@dataclass
class Occupied:
    """A portal already in use, and its rows and files before any test tried to restore over it."""

    portal: Portal
    rows: dict[str, list[str]]
    files: dict[str, bytes]

    def assert_unchanged(self) -> None:
        assert table_contents(self.portal.app) == self.rows
        assert stored_files(self.portal.app) == self.files


@pytest.fixture(scope="module")
def occupied(
    source: Source, database_templates: DatabaseTemplates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Occupied]:
    """A migrated portal with one account and one stored file of its own; refusals must leave it so."""
    folder = tmp_path_factory.mktemp(f"backup-target-{source.backend}")
    portal = make_portal(source.backend, folder, database_templates, migrated=True)
    create_user(portal.app, role="customer", email="already@example.com")
    with portal.app.app_context():
        storage().save(io.BytesIO(b"kept"), prefix="documents", filename_hint="kept.txt")
    yield Occupied(portal, table_contents(portal.app), stored_files(portal.app))
    portal.close()


def repacked(archive: Path, into: Path, change: Callable[[str, bytes], tuple[str, bytes] | None]) -> Path:
    """A copy of the archive, well-formed gzip and tar, with members changed (or left out) by ``change``."""
    with tarfile.open(archive, "r:gz") as original, tarfile.open(into, "w:gz") as copy:
        for member in original:
            data = original.extractfile(member).read()  # type: ignore[union-attr]
            changed = change(member.name, data)
            if changed is not None:
                info = tarfile.TarInfo(changed[0])
                info.size = len(changed[1])
                copy.addfile(info, io.BytesIO(changed[1]))
    return into


def edited_manifest(edit: Callable[[dict[str, Any]], None]) -> Callable[[str, bytes], tuple[str, bytes]]:
    import json

    def change(name: str, data: bytes) -> tuple[str, bytes]:
        if name != MANIFEST_MEMBER:
            return name, data
        manifest = json.loads(data)
        edit(manifest)
        return name, json.dumps(manifest).encode()

    return change


# --- the round trip ------------------------------------------------------------------------------


def test_backup_reports_what_it_wrote(source: Source):
    manifest = json_manifest(source.archive)
    assert manifest["backend"] == source.backend
    assert manifest["migration_heads"] and manifest["row_counts"]["portal_users"] == 5
    stored = stored_files(source.portal.app)
    assert len(stored) >= 2  # the demo's files, the document and the attachment
    assert {entry["key"] for entry in manifest["files"]} == set(stored)  # not the upload temporary
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])
    summary = source.output.strip().splitlines()[-1]
    assert summary.startswith(f"Backup written to {source.archive}: ")
    assert f"{len(manifest['row_counts'])} tables" in summary and f"{len(stored)} files" in summary
    assert not [name for name in os.listdir(source.archive.parent) if name.endswith(".partial")]


def json_manifest(archive: Path) -> dict[str, Any]:
    import json

    with tarfile.open(archive, "r:gz") as tar:
        return json.loads(tar.extractfile(MANIFEST_MEMBER).read())  # type: ignore[union-attr]


def test_restore_on_a_new_machine_brings_back_every_row_and_file(
    source: Source, database_templates: DatabaseTemplates, tmp_path: Path
):
    restored = make_portal(source.backend, tmp_path / "new-machine", database_templates, migrated=False)
    try:
        result = restored.cli("restore", str(source.archive), "--yes")
        assert result.exit_code == 0, result.output
        assert "Restored " in result.output and "run 'portal migrate'" not in result.output

        assert table_contents(restored.app) == table_contents(source.portal.app)
        assert stored_files(restored.app) == stored_files(source.portal.app)

        customer = restored.app.test_client()
        log_in(customer, CUSTOMER, DEMO_PASSWORD)
        download = customer.get(f"/documents/{source.document_id}/download")
        assert download.status_code == 200 and download.data == PDF
        picture = customer.get(f"/tickets/{source.ticket_id}/files/{source.attachment_id}")
        assert picture.status_code == 200 and picture.data == PNG
        # Ids go on where they left off: a new account on the restored portal is stored, not refused.
        newcomer = create_user(restored.app, email="newcomer@example.com")
        with source.portal.app.app_context():
            assert newcomer.id > db.session.scalar(select(func.max(User.id)))
    finally:
        restored.close()


# --- refusals that change nothing -----------------------------------------------------------------


def test_restoring_over_data_needs_replace_and_changes_nothing(source: Source, occupied: Occupied):
    result = occupied.portal.cli("restore", str(source.archive), "--yes")
    assert result.exit_code == 1
    assert "already holds a portal's data" in result.output and "portal_users 1" in result.output
    assert "--replace" in result.output
    occupied.assert_unchanged()


def test_restore_over_data_asks_first_and_a_no_changes_nothing(source: Source, occupied: Occupied):
    result = occupied.portal.cli("restore", str(source.archive), "--replace", answer="n\n")
    assert result.exit_code == 1
    assert "These rows will be replaced: " in result.output and "Aborted" in result.output
    occupied.assert_unchanged()


def flip_a_byte_of_the_attachment(name: str, data: bytes) -> tuple[str, bytes]:
    if name.startswith("files/tickets/"):
        return name, data[:10] + bytes([data[10] ^ 0xFF]) + data[11:]
    return name, data


def truncated(archive: Path, into: Path) -> Path:
    data = archive.read_bytes()
    into.write_bytes(data[: len(data) * 2 // 3])
    return into


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda archive, into: repacked(archive, into, flip_a_byte_of_the_attachment), "does not match"),
        (truncated, "damaged or truncated"),
        (
            lambda archive, into: repacked(
                archive, into, lambda n, d: None if n == MANIFEST_MEMBER else (n, d)
            ),
            "has no manifest.json",
        ),
        (
            lambda archive, into: repacked(
                archive, into, edited_manifest(lambda m: m["migration_heads"].append("core_9999"))
            ),
            "Upgrade the portal",
        ),
        (
            lambda archive, into: repacked(
                archive, into, edited_manifest(lambda m: m.update(format_version=2))
            ),
            "format version 2",
        ),
    ],
    ids=["flipped-byte", "truncated", "no-manifest", "newer-portal", "newer-format"],
)
def test_a_damaged_or_newer_archive_is_refused_before_anything_changes(
    source: Source, occupied: Occupied, tmp_path: Path, damage, message: str
):
    bad = damage(source.archive, tmp_path / "bad.tar.gz")
    result = occupied.portal.cli("restore", str(bad), "--replace", "--yes")
    assert result.exit_code == 1
    assert "Nothing was restored" in result.output and message in result.output, result.output
    occupied.assert_unchanged()


def test_a_backup_of_the_other_database_backend_is_refused(
    source: Source, occupied: Occupied, tmp_path: Path
):
    other = "postgresql" if source.backend == "sqlite" else "sqlite"
    member = {"sqlite": "database/portal.sqlite3", "postgresql": "database/portal.pgdump"}

    def as_other_backend(name: str, data: bytes) -> tuple[str, bytes]:
        if name.startswith("database/"):
            return member[other], data
        return edited_manifest(lambda m: (m.update(backend=other), m["database"].update(key=member[other])))(
            name, data
        )

    bad = repacked(source.archive, tmp_path / "other.tar.gz", as_other_backend)
    result = occupied.portal.cli("restore", str(bad), "--replace", "--yes")
    assert result.exit_code == 1
    assert f"holds a {other} database and this portal uses {source.backend}" in result.output
    occupied.assert_unchanged()


# --- making the archive -------------------------------------------------------------------------


def test_backup_refuses_to_overwrite_without_force(source: Source):
    before = source.archive.read_bytes()
    result = source.portal.cli("backup", str(source.archive))
    assert result.exit_code == 1 and "--force" in result.output
    assert source.archive.read_bytes() == before


def test_backup_with_force_replaces_the_archive(source: Source, tmp_path: Path):
    path = tmp_path / "again.tar.gz"
    path.write_bytes(b"an old backup")
    result = source.portal.cli("backup", str(path), "--force")
    assert result.exit_code == 0, result.output
    assert json_manifest(path)["row_counts"] == json_manifest(source.archive)["row_counts"]


def test_only_postgresql_needs_pg_dump_and_without_it_no_file_is_left(
    source: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    result = source.portal.cli("backup", str(tmp_path / "backup.tar.gz"))
    if source.backend == "sqlite":
        assert result.exit_code == 0, result.output  # Python's sqlite3 module is all it needs
        assert os.listdir(tmp_path) == ["backup.tar.gz"]
        return
    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output and "postgresql-client" in result.output
    assert os.listdir(tmp_path) == []  # neither the archive nor its temporary


# --- object storage ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1, standing in for object storage as in tests/test_storage.py."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def s3_url(endpoint: str, prefix: str) -> str:
    return f"s3://test:test@{BUCKET}/{prefix}?endpoint_url={endpoint}&region=us-east-1"


def test_files_in_object_storage_round_trip(
    s3_endpoint: str, database_templates: DatabaseTemplates, tmp_path: Path
):
    origin = make_portal(
        "sqlite",
        tmp_path / "origin",
        database_templates,
        migrated=True,
        PORTAL_STORAGE_URL=s3_url(s3_endpoint, "origin"),
    )
    elsewhere = make_portal(
        "sqlite",
        tmp_path / "elsewhere",
        database_templates,
        migrated=False,
        PORTAL_STORAGE_URL=s3_url(s3_endpoint, "elsewhere"),
    )
    try:
        with origin.app.app_context():
            for number in range(3):
                storage().save(io.BytesIO(PDF * (number + 1)), prefix="documents", filename_hint="a.pdf")
        create_user(origin.app, email="customer@example.com")
        archive = tmp_path / "s3.tar.gz"
        made = origin.cli("backup", str(archive))
        assert made.exit_code == 0, made.output
        assert "3 files" in made.output

        result = elsewhere.cli("restore", str(archive), "--yes")
        assert result.exit_code == 0, result.output
        assert stored_files(elsewhere.app) == stored_files(origin.app)
        assert len(stored_files(elsewhere.app)) == 3
        client = elsewhere.app.test_client()
        log_in(client, "customer@example.com", TEST_PASSWORD)
    finally:
        origin.close()
        elsewhere.close()


# --- last, as it replaces the occupied portal's data --------------------------------------------


def test_replace_restores_an_older_portals_backup_keeps_unknown_files_and_suggests_migrate(
    source: Source, occupied: Occupied, tmp_path: Path
):
    # An older portal's database is at an earlier core revision; this code knows that revision.
    older = repacked(
        source.archive,
        tmp_path / "older.tar.gz",
        edited_manifest(
            lambda m: m.update(
                migration_heads=[
                    "core_0001" if head.startswith("core_") else head for head in m["migration_heads"]
                ]
            )
        ),
    )
    [kept] = occupied.files
    result = occupied.portal.cli("restore", str(older), "--replace", "--yes")
    assert result.exit_code == 0, result.output
    assert "These rows will be replaced: " in result.output
    assert f"1 stored files are not in the backup and were left in place:\n  {kept}" in result.output
    assert "run 'portal migrate'" in result.output
    assert table_contents(occupied.portal.app) == table_contents(source.portal.app)
    assert stored_files(occupied.portal.app) == {**stored_files(source.portal.app), kept: b"kept"}
