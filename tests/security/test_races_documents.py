"""Documents under simultaneous requests: versions uploaded at once each get a number of their own.

Each attempt is a real request through the staff pages, on its own database connection, released
together behind a barrier (portal.testing.races). Runs on SQLite and, with
PORTAL_TEST_DATABASE_URL set, on PostgreSQL.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from plugins.documents.models import Document, Version
from portal.database import db
from portal.testing import csrf_token, post_form
from portal.testing.races import race, same_browser

pytestmark = pytest.mark.plugins("documents")

ATTEMPTS = 6
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def stored_files(app: Flask) -> list[str]:
    """The keys of every file in the storage folder, whatever the database says."""
    root = Path(app.instance_path) / "files"
    return [path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()]


def test_versions_uploaded_at_once_get_distinct_consecutive_numbers(app, client, login_as, make_user):
    reader = make_user("customer")
    login_as("agent")
    created = post_form(
        client,
        "/staff/documents/new",
        {
            "title": "Contract",
            "category": "contract",
            "audience": "customer",
            "customer_email": reader.email,
            "file": (io.BytesIO(PDF + b"first"), "contract.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 302
    with app.app_context():
        document_id = db.session.scalar(select(Document.id))
    csrf = csrf_token(client)
    tabs = same_browser(client, ATTEMPTS)

    def upload(n: int):
        data = {"csrf_token": csrf, "file": (io.BytesIO(PDF + f"version {n}".encode()), f"contract-{n}.pdf")}
        return tabs[n].post(
            f"/staff/documents/{document_id}/versions", data=data, content_type="multipart/form-data"
        )

    answers = race(ATTEMPTS, upload)
    for answer in answers:
        assert not isinstance(answer, BaseException), repr(answer)
        assert answer.status_code == 302
    with app.app_context():
        versions = db.session.execute(
            select(Version.number, Version.storage_key).where(Version.document_id == document_id)
        ).all()
    assert sorted(number for number, _key in versions) == list(range(1, ATTEMPTS + 2))
    assert sorted(stored_files(app)) == sorted(key for _number, key in versions)
    page = client.get(f"/staff/documents/{document_id}").get_data(as_text=True)
    for number in range(1, ATTEMPTS + 2):
        assert f"Version {number} ·" in page
