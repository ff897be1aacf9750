"""The documents API as an integrator meets it: the pages' visibility, downloads, publishing, uploads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugins.documents.models import Document, DocumentTemplate, Download, Version
from portal.database import db
from portal.events import StoredEvent
from portal.settings import set_setting
from portal.testing import api_token, create_user
from portal.testing.races import race

pytestmark = pytest.mark.plugins("documents")

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + b"x" * 2000
NEWER_PDF = PDF + b"y" * 100


def bearer(app: Flask, user_id: int, *scopes: str) -> dict[str, str]:
    return {"Authorization": api_token(app, user_id, *scopes)}


def create(app: Flask, staff: dict[str, str], **fields: object) -> dict:
    body = {"title": "Invoice 7", "category": "invoice", "audience": "segment", "segment": "all-customers"}
    response = app.test_client().post("/api/v1/documents/", json=body | fields, headers=staff)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def upload(app: Flask, staff: dict[str, str], document_id: int, content: bytes = PDF, name: str = "a.pdf"):
    return app.test_client().post(
        f"/api/v1/documents/{document_id}/versions",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        headers=staff,
    )


def published(app: Flask, staff: dict[str, str], content: bytes = PDF, **fields: object) -> int:
    """A document for a file, published: created, given its file, then published, as the API does it."""
    document_id = create(app, staff, **fields)["id"]
    assert upload(app, staff, document_id, content).status_code == 201
    answer = app.test_client().post(f"/api/v1/documents/{document_id}/publish", headers=staff)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["status"] == "published"
    return document_id


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def stored_files(app: Flask) -> list[Path]:
    return [
        path for path in Path(app.instance_path).rglob("*") if path.is_file() and "documents" in path.parts
    ]


@pytest.fixture
def staff(app: Flask) -> dict[str, str]:
    return bearer(app, create_user(app, "agent").id, "documents:write")


def test_a_customer_token_sees_only_what_is_published_to_them(app: Flask, staff: dict[str, str]) -> None:
    sara, omid = create_user(app), create_user(app)
    hers = published(app, staff, audience="customer", customer_email=sara.email, title="Sara's contract")
    his = published(app, staff, audience="customer", customer_email=omid.email, title="Omid's contract")
    everyone = published(app, staff, title="Price list")
    draft = create(app, staff, audience="customer", customer_email=sara.email, title="Not yet")["id"]
    assert upload(app, staff, draft).status_code == 201
    client = app.test_client()
    reader = bearer(app, sara.id, "documents:read")

    listing = client.get("/api/v1/documents/", headers=reader).json
    assert {item["id"] for item in listing["items"]} == {hers, everyone}
    assert all(item["audience"] is None and item["status"] == "published" for item in listing["items"])
    for document_id in (his, draft, 99_999):
        assert client.get(f"/api/v1/documents/{document_id}", headers=reader).status_code == 404
        assert client.get(f"/api/v1/documents/{document_id}/download", headers=reader).status_code == 404
    detail = client.get(f"/api/v1/documents/{hers}", headers=reader).json
    assert detail["title"] == "Sara's contract"
    assert [(v["number"], v["size"], v["content_type"]) for v in detail["versions"]] == [
        (1, len(PDF), "application/pdf")
    ]

    everything = client.get("/api/v1/documents/", headers=staff).json["items"]
    assert {item["id"]: item["status"] for item in everything} == {
        hers: "published",
        his: "published",
        everyone: "published",
        draft: "draft",
    }
    assert next(item for item in everything if item["id"] == his)["audience"] == {
        "customer_id": omid.id,
        "segment": None,
    }


def test_a_download_is_the_file_counted_as_on_the_page(app: Flask, staff: dict[str, str]) -> None:
    sara = create_user(app)
    document_id = published(app, staff, audience="customer", customer_email=sara.email)
    client = app.test_client()

    answer = client.get(
        f"/api/v1/documents/{document_id}/download", headers=bearer(app, sara.id, "documents:read")
    )
    assert answer.status_code == 200
    assert answer.data == PDF
    assert answer.mimetype == "application/pdf"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.headers["ETag"]
    with app.app_context():
        log = db.session.scalars(select(Download)).all()
        event = db.session.scalar(select(StoredEvent).where(StoredEvent.name == "documents.downloaded"))
    assert [(row.user_id, row.document_id) for row in log] == [(sara.id, document_id)]
    assert event is not None and event.customer_id == sara.id

    assert client.get(f"/api/v1/documents/{document_id}/download", headers=staff).data == PDF
    assert count(app, Download) == 1, "staff downloads are not the customer's reading"


def test_a_template_document_is_published_at_once_and_made_for_the_reader(
    app: Flask, staff: dict[str, str]
) -> None:
    sara = create_user(app)
    with app.app_context():
        template = DocumentTemplate(name="Welcome", body="<p>Hello {{ customer.name }}</p>")
        db.session.add(template)
        db.session.commit()
        template_id = template.id
    made = create(
        app, staff, audience="customer", customer_email=sara.email, template_id=template_id, publish_now=True
    )
    assert (made["kind"], made["status"], made["versions"]) == ("template", "published", [])
    reader = bearer(app, sara.id, "documents:read")
    answer = app.test_client().get(f"/api/v1/documents/{made['id']}/download", headers=reader)
    assert answer.status_code == 200
    assert answer.data.startswith(b"%PDF")
    assert count(app, Download) == 1
    refused = upload(app, staff, made["id"])
    assert refused.status_code == 409


def test_customers_cannot_publish_and_read_only_tokens_cannot_upload(
    app: Flask, staff: dict[str, str]
) -> None:
    sara = create_user(app)
    document_id = published(app, staff, audience="customer", customer_email=sara.email)
    customer = bearer(app, sara.id, "documents:write")
    client = app.test_client()
    body = {"title": "Mine", "category": "invoice", "audience": "segment", "segment": "all-customers"}
    assert client.post("/api/v1/documents/", json=body, headers=customer).status_code == 403
    assert client.post(f"/api/v1/documents/{document_id}/publish", headers=customer).status_code == 403
    assert upload(app, customer, document_id).status_code == 403

    reader = bearer(app, create_user(app, "agent").id, "documents:read")
    refused = upload(app, reader, document_id)
    assert refused.status_code == 403
    assert "documents:write" in refused.json["detail"]
    assert count(app, Document) == 1
    assert count(app, Version) == 1


def test_a_new_version_reaches_the_customer(app: Flask, staff: dict[str, str]) -> None:
    sara = create_user(app)
    document_id = published(app, staff, audience="customer", customer_email=sara.email)
    reader = bearer(app, sara.id, "documents:read")
    client = app.test_client()
    first = client.get("/api/v1/documents/", headers=reader).json["items"][0]

    added = upload(app, staff, document_id, NEWER_PDF, "invoice-corrected.pdf")
    assert added.status_code == 201
    assert added.json["number"] == 2

    detail = client.get(f"/api/v1/documents/{document_id}", headers=reader).json
    assert [(v["number"], v["filename"]) for v in detail["versions"]] == [(2, "invoice-corrected.pdf")]
    assert client.get(f"/api/v1/documents/{document_id}/download", headers=reader).data == NEWER_PDF
    staff_detail = client.get(f"/api/v1/documents/{document_id}", headers=staff).json
    assert [v["number"] for v in staff_detail["versions"]] == [2, 1]

    since = {"updated_since": detail["updated_at"]}
    changed = client.get("/api/v1/documents/", query_string=since, headers=reader).json["items"]
    assert [item["id"] for item in changed] == [document_id]
    assert changed[0]["updated_at"] >= first["updated_at"]
    assert changed[0]["current_version"]["number"] == 2


def test_too_large_or_wrong_kind_of_file_is_refused_and_nothing_kept(
    app: Flask, staff: dict[str, str]
) -> None:
    document_id = create(app, staff)["id"]
    with app.app_context():
        set_setting("documents", "max_upload_mb", 1, None)
        db.session.commit()

    too_large = upload(app, staff, document_id, PDF + b"0" * (1024 * 1024))
    assert too_large.status_code == 413
    assert "larger than the limit" in too_large.json["detail"]
    page = upload(
        app, staff, document_id, b"<!DOCTYPE html><html><script>alert(1)</script></html>", "page.pdf"
    )
    assert page.status_code == 422
    assert "cannot be published" in page.json["errors"]["files"]["file"][0]
    missing = app.test_client().post(
        f"/api/v1/documents/{document_id}/versions",
        data={},
        content_type="multipart/form-data",
        headers=staff,
    )
    assert missing.status_code == 422
    assert "file" in missing.json["errors"]["files"]
    assert count(app, Version) == 0
    assert stored_files(app) == []


def test_invalid_input_is_a_422_naming_each_field_and_creates_nothing(
    app: Flask, staff: dict[str, str]
) -> None:
    client = app.test_client()
    answer = client.post(
        "/api/v1/documents/",
        json={
            "title": " ",
            "category": "nonsense",
            "audience": "everyone",
            "template_id": 0,
            "colour": "red",
        },
        headers=staff,
    )
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert set(answer.json["errors"]["json"]) == {"title", "category", "audience", "template_id", "colour"}

    base = {"title": "Invoice", "category": "invoice"}
    cases = [
        ({"audience": "customer"}, "customer_email"),
        ({"audience": "customer", "customer_email": "nobody@example.com"}, "customer_email"),
        ({"audience": "segment", "segment": "organization:999999"}, "segment"),
        ({"audience": "segment", "segment": "all-customers", "publish_now": True}, "publish_now"),
        ({"audience": "segment", "segment": "all-customers", "template_id": 999_999}, "template_id"),
        ({"audience": "segment", "segment": "all-customers", "title": "x\x00y"}, "title"),
    ]
    for fields, named in cases:
        refused = client.post("/api/v1/documents/", json=base | fields, headers=staff)
        assert refused.status_code == 422, fields
        assert named in refused.json["errors"]["json"], (fields, refused.json)
    assert client.get("/api/v1/documents/?cursor=%7E%7E", headers=staff).status_code == 422
    assert count(app, Document) == 0


def test_the_same_idempotency_key_twice_makes_one_document(app: Flask, staff: dict[str, str]) -> None:
    keyed = {**staff, "Idempotency-Key": "invoice-7-run-1"}
    body = {"title": "Invoice 7", "category": "invoice", "audience": "segment", "segment": "all-customers"}
    first = app.test_client().post("/api/v1/documents/", json=body, headers=keyed)
    again = app.test_client().post("/api/v1/documents/", json=body, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json == again.json
    other = app.test_client().post(
        "/api/v1/documents/", json=body, headers={**staff, "Idempotency-Key": "run-2"}
    )
    assert other.json["id"] != first.json["id"]
    colleague = bearer(app, create_user(app, "agent").id, "documents:write")
    theirs = app.test_client().post("/api/v1/documents/", json=body, headers={**keyed, **colleague})
    assert theirs.json["id"] not in (first.json["id"], other.json["id"]), "keys belong to whoever sent them"
    assert count(app, Document) == 3


def test_the_same_key_sent_at_once_publishes_one_document_once(app: Flask, staff: dict[str, str]) -> None:
    sara = create_user(app)
    with app.app_context():
        template = DocumentTemplate(name="Welcome", body="<p>Hello {{ customer.name }}</p>")
        db.session.add(template)
        db.session.commit()
        template_id = template.id
    keyed = {**staff, "Idempotency-Key": "welcome-sara"}
    body = {
        "title": "Welcome",
        "category": "invoice",
        "audience": "customer",
        "customer_email": sara.email,
        "template_id": template_id,
        "publish_now": True,
    }

    def attempt(_number: int) -> tuple[int, int]:
        response = app.test_client().post("/api/v1/documents/", json=body, headers=keyed)
        return response.status_code, response.json.get("id")

    outcomes = race(8, attempt)
    assert not [each for each in outcomes if isinstance(each, BaseException)], outcomes
    assert {status for status, _id in outcomes} == {201}
    assert len({document_id for _status, document_id in outcomes}) == 1
    assert count(app, Document) == 1
    with app.app_context():
        published_events = select(func.count()).where(StoredEvent.name == "documents.published")
        assert db.session.scalar(published_events) == 1
