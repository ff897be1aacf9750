"""Ticket files over the API: sent with a reply or a new ticket, listed, downloaded as the page does.

Uploads are held to the ticket form's own checks (how many, what type, how large, the customer's
space), a refused upload stores nothing, downloads are the page's responses, internal notes' files
stay with staff, and an Idempotency-Key makes a reply with files once. Runs on SQLite and, with
PORTAL_TEST_DATABASE_URL set, on PostgreSQL.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugins.tickets.models import Attachment, Message, Ticket
from portal.database import db
from portal.settings import set_setting
from portal.storage import storage
from portal.testing import TEST_PASSWORD, api_token, create_user, log_in
from portal.testing.races import race

pytestmark = pytest.mark.plugins("tickets")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
RECEIPT = b"Order 1042: one box, arrived crushed.\n"
NEW_TICKET = {"subject": "The box arrived crushed", "body": "See the photo.", "category": "complaint"}
# The headers that make a download safe and resumable; the API must send each exactly as the page does.
FILE_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Content-Length",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "Cache-Control",
    "ETag",
    "Accept-Ranges",
    "X-Accel-Redirect",
)


def bearer(app: Flask, user_id: int, *scopes: str) -> dict[str, str]:
    return {"Authorization": api_token(app, user_id, *scopes)}


def open_ticket(app: Flask, headers: dict[str, str]) -> int:
    response = app.test_client().post("/api/v1/tickets/", json=NEW_TICKET, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["id"]


def send(app: Flask, url: str, headers: dict[str, str], files: list[tuple[str, bytes]], **fields: str):
    """A multipart/form-data request with ``fields`` and each file as a part named "files"."""
    data: dict[str, object] = {"body": "Here is what I have.", **fields}
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return app.test_client().post(url, data=data, content_type="multipart/form-data", headers=headers)


def reply(app: Flask, headers: dict[str, str], ticket_id: int, files: list[tuple[str, bytes]], **fields: str):
    return send(app, f"/api/v1/tickets/{ticket_id}/messages", headers, files, **fields)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def stored_files(app: Flask) -> list[Path]:
    root = Path(app.instance_path) / "files"
    return [path for path in root.rglob("*") if path.is_file()]


def limit_files(app: Flask, **settings: object) -> None:
    with app.app_context():
        for key, value in settings.items():
            set_setting("tickets", key, value, None)
        db.session.commit()


@pytest.fixture
def customer(app: Flask):
    return create_user(app)


@pytest.fixture
def mine(app: Flask, customer) -> dict[str, str]:
    return bearer(app, customer.id, "tickets:write")


def test_a_reply_with_files_within_the_limits_is_stored_and_listed(app: Flask, mine: dict[str, str]) -> None:
    ticket_id = open_ticket(app, mine)
    answer = reply(app, mine, ticket_id, [("box.png", PNG), ("receipt.txt", RECEIPT)])
    assert answer.status_code == 201, answer.get_data(as_text=True)
    sent = answer.json["attachments"]
    assert [(each["filename"], each["content_type"], each["size"]) for each in sent] == [
        ("box.png", "image/png", len(PNG)),
        ("receipt.txt", "text/plain", len(RECEIPT)),
    ]
    assert {each["message_id"] for each in sent} == {answer.json["id"]}
    assert all(each["created_at"].endswith("+00:00") for each in sent)

    client = app.test_client()
    listed = client.get(f"/api/v1/tickets/{ticket_id}/attachments", headers=mine)
    assert listed.status_code == 200 and listed.headers["ETag"]
    assert listed.json == {"items": sent, "next_cursor": None}
    messages = client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=mine).json["items"]
    assert [message["attachments"] for message in messages] == [[], sent]
    again = client.get(
        f"/api/v1/tickets/{ticket_id}/attachments", headers={**mine, "If-None-Match": listed.headers["ETag"]}
    )
    assert again.status_code == 304
    assert len(stored_files(app)) == 2


def test_a_new_ticket_takes_files_as_the_new_ticket_page_does(app: Flask, mine: dict[str, str]) -> None:
    answer = send(app, "/api/v1/tickets/", mine, [("box.png", PNG)], **NEW_TICKET)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    files = app.test_client().get(f"/api/v1/tickets/{answer.json['id']}/attachments", headers=mine).json
    assert [each["filename"] for each in files["items"]] == ["box.png"]
    with app.app_context():
        first = db.session.scalar(select(Message).where(Message.ticket_id == answer.json["id"]))
        assert first is not None and first.id == files["items"][0]["message_id"]


@pytest.mark.parametrize(
    ("files", "status", "named"),
    [
        ([("big.png", PNG + b"\x00" * (1024 * 1024))], 413, ["“big.png”", "1 MB"]),
        ([(f"{n}.png", PNG) for n in range(6)], 422, ["at most 5 files"]),
        ([("page.png", b"<html><script>alert(1)</script></html>")], 422, ["“page.png”", "png, pdf"]),
        ([("tool.pdf", b"MZ\x90\x00binary")], 422, ["“tool.pdf”", "png, pdf"]),
        ([("empty.png", b"")], 422, ["“empty.png”"]),
    ],
    ids=["too-big", "too-many", "html-as-png", "program-as-pdf", "empty"],
)
def test_a_refused_upload_is_a_problem_naming_file_and_limit_and_stores_nothing(
    app: Flask, mine: dict[str, str], files: list[tuple[str, bytes]], status: int, named: list[str]
) -> None:
    limit_files(app, attachment_max_mb=1, attachment_types="png, pdf")
    ticket_id = open_ticket(app, mine)
    before = count(app, Message)

    for refused in (
        reply(app, mine, ticket_id, files, body="With files"),
        send(app, "/api/v1/tickets/", mine, files, **NEW_TICKET),
    ):
        assert refused.status_code == status, refused.get_data(as_text=True)
        assert refused.mimetype == "application/problem+json"
        for words in named:
            assert words in refused.json["detail"], refused.json
        assert refused.json["errors"]["form"]["files"]
    assert count(app, Message) == before
    assert count(app, Ticket) == 1
    assert count(app, Attachment) == 0
    assert stored_files(app) == []


def test_files_over_the_customers_space_are_refused_and_nothing_kept(
    app: Flask, mine: dict[str, str]
) -> None:
    limit_files(app, attachment_quota_mb=1)
    ticket_id = open_ticket(app, mine)
    photo = PNG + b"\x00" * (700 * 1024)
    assert reply(app, mine, ticket_id, [("first.png", photo)]).status_code == 201
    over = reply(app, mine, ticket_id, [("second.png", photo)], body="Another one")
    assert over.status_code == 413
    assert "of your 1 MB for attachments" in over.json["detail"]
    assert count(app, Attachment) == 1 and len(stored_files(app)) == 1
    assert count(app, Message) == 2


def test_what_is_not_a_file_is_refused_and_never_a_server_error(app: Flask, mine: dict[str, str]) -> None:
    ticket_id = open_ticket(app, mine)
    url = f"/api/v1/tickets/{ticket_id}/messages"
    client = app.test_client()
    as_text = client.post(
        url, data={"body": "x", "files": "not a file"}, content_type="multipart/form-data", headers=mine
    )
    assert as_text.status_code == 422 and "files" in as_text.json["errors"]["form"]
    in_json = client.post(url, json={"body": "x", "files": ["aGVsbG8="]}, headers=mine)
    assert in_json.status_code == 422 and "files" in in_json.json["errors"]["json"]
    unknown = reply(app, mine, ticket_id, [("box.png", PNG)], colour="red")
    assert unknown.status_code == 422 and "colour" in unknown.json["errors"]["form"]
    empty_body = reply(app, mine, ticket_id, [("box.png", PNG)], body=" ")
    assert empty_body.status_code == 422 and "body" in empty_body.json["errors"]["form"]
    assert count(app, Attachment) == 0

    odd_name = reply(app, mine, ticket_id, [("a\x00b\u202egnp.png", PNG)])
    assert odd_name.status_code == 201, odd_name.get_data(as_text=True)
    assert odd_name.json["attachments"][0]["filename"] == "ab\u202egnp.png"


def page_and_api_downloads(app: Flask, ticket_id: int, attachment_id: int, who, token: dict[str, str]):
    """The same file fetched by the signed-in page and by the API, for ``who``."""
    browser = app.test_client()
    log_in(browser, who.email, TEST_PASSWORD)
    prefix = "/staff/tickets" if who.role != "customer" else "/tickets"
    page = browser.get(f"{prefix}/{ticket_id}/files/{attachment_id}")
    api = app.test_client().get(f"/api/v1/tickets/{ticket_id}/attachments/{attachment_id}", headers=token)
    return page, api


def test_a_download_is_the_pages_download_byte_for_byte(app: Flask, customer, mine: dict[str, str]) -> None:
    ticket_id = open_ticket(app, mine)
    sent = reply(app, mine, ticket_id, [("Quittung für Bestellung.txt", RECEIPT)]).json["attachments"][0]
    agent = create_user(app, "agent")
    for who, token in ((customer, mine), (agent, bearer(app, agent.id, "tickets:read"))):
        page, api = page_and_api_downloads(app, ticket_id, sent["id"], who, token)
        assert page.status_code == api.status_code == 200
        assert api.data == page.data == RECEIPT
        assert {name: api.headers.get(name) for name in FILE_HEADERS} == {
            name: page.headers.get(name) for name in FILE_HEADERS
        }
        assert api.headers["Content-Disposition"].startswith("attachment;")
        assert api.headers["X-Content-Type-Options"] == "nosniff"
    resumed = app.test_client().get(
        f"/api/v1/tickets/{ticket_id}/attachments/{sent['id']}", headers={**mine, "Range": "bytes=0-4"}
    )
    assert resumed.status_code == 206 and resumed.data == RECEIPT[:5]


def test_a_download_is_handed_to_the_web_server_as_the_page_hands_it(
    request: pytest.FixtureRequest, app_config: dict[str, object]
) -> None:
    app_config["PORTAL_STORAGE_ACCEL_REDIRECT"] = "/protected-files/"
    app: Flask = request.getfixturevalue("app")
    customer = create_user(app)
    mine = bearer(app, customer.id, "tickets:write")
    ticket_id = open_ticket(app, mine)
    sent = reply(app, mine, ticket_id, [("box.png", PNG)]).json["attachments"][0]
    page, api = page_and_api_downloads(app, ticket_id, sent["id"], customer, mine)
    assert api.status_code == page.status_code == 200
    assert api.headers["X-Accel-Redirect"].startswith("/protected-files/tickets/")
    assert {name: api.headers.get(name) for name in FILE_HEADERS} == {
        name: page.headers.get(name) for name in FILE_HEADERS
    }
    assert api.data == b""


def test_internal_notes_files_stay_with_staff(app: Flask, customer, mine: dict[str, str]) -> None:
    ticket_id = open_ticket(app, mine)
    agent = create_user(app, "agent")
    staff = bearer(app, agent.id, "tickets:write")
    note = reply(app, staff, ticket_id, [("server-log.txt", b"disk full\n")], body="Log", internal="true")
    assert note.status_code == 201 and note.json["internal"] is True
    [hidden] = note.json["attachments"]
    answer = reply(app, staff, ticket_id, [("label.png", PNG)], body="Here is a return label")
    [shown] = answer.json["attachments"]
    client = app.test_client()

    theirs = client.get(f"/api/v1/tickets/{ticket_id}/attachments", headers=mine).json["items"]
    assert [each["id"] for each in theirs] == [shown["id"]]
    messages = client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=mine).get_data(as_text=True)
    assert "server-log.txt" not in messages and "label.png" in messages
    refused = client.get(f"/api/v1/tickets/{ticket_id}/attachments/{hidden['id']}", headers=mine)
    assert refused.status_code == 404 and refused.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/tickets/{ticket_id}/attachments/{shown['id']}", headers=mine).data == PNG

    everything = client.get(f"/api/v1/tickets/{ticket_id}/attachments", headers=staff).json["items"]
    assert [each["id"] for each in everything] == [hidden["id"], shown["id"]]
    assert (
        client.get(f"/api/v1/tickets/{ticket_id}/attachments/{hidden['id']}", headers=staff).data
        == b"disk full\n"
    )


def test_another_customers_file_is_not_found(app: Flask, mine: dict[str, str]) -> None:
    ticket_id = open_ticket(app, mine)
    [sent] = reply(app, mine, ticket_id, [("box.png", PNG)]).json["attachments"]
    stranger = bearer(app, create_user(app).id, "tickets:write")
    own_ticket = open_ticket(app, stranger)
    client = app.test_client()
    for url in (
        f"/api/v1/tickets/{ticket_id}/attachments/{sent['id']}",
        f"/api/v1/tickets/{own_ticket}/attachments/{sent['id']}",
        f"/api/v1/tickets/{ticket_id}/attachments",
    ):
        answer = client.get(url, headers=stranger)
        assert answer.status_code == 404, url
        assert b"box.png" not in answer.data and PNG not in answer.data
    assert client.get(f"/api/v1/tickets/{ticket_id}/attachments/999999", headers=mine).status_code == 404
    assert reply(app, stranger, ticket_id, [("mine.png", PNG)]).status_code == 404
    assert count(app, Attachment) == 1


def test_the_same_idempotency_key_stores_a_reply_with_files_once(app: Flask, mine: dict[str, str]) -> None:
    ticket_id = open_ticket(app, mine)
    keyed = {**mine, "Idempotency-Key": "return-1042-photos"}
    files = [("box.png", PNG), ("receipt.txt", RECEIPT)]
    first = reply(app, keyed, ticket_id, files)
    again = reply(app, keyed, ticket_id, files)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert len(first.json["attachments"]) == 2
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Message).where(Message.ticket_id == ticket_id))
            == 2
        )
        keys = db.session.scalars(select(Attachment.storage_key)).all()
        assert len(keys) == 2 and all(storage().exists(key) for key in keys)
    assert len(stored_files(app)) == 2


def test_the_same_reply_with_files_sent_at_once_is_stored_once(app: Flask, mine: dict[str, str]) -> None:
    ticket_id = open_ticket(app, mine)
    keyed = {**mine, "Idempotency-Key": "raced-photos"}

    def attempt(_number: int) -> tuple[int, int | None]:
        answer = reply(app, keyed, ticket_id, [("box.png", PNG)])
        return answer.status_code, answer.json.get("id")

    outcomes = race(6, attempt)
    assert not [each for each in outcomes if isinstance(each, BaseException)], outcomes
    assert {status for status, _id in outcomes} == {201}
    assert len({message_id for _status, message_id in outcomes}) == 1
    assert count(app, Attachment) == 1
    assert len(stored_files(app)) == 1


def test_staff_opening_a_ticket_for_a_customer_add_files_with_a_reply(app: Flask, customer) -> None:
    staff = bearer(app, create_user(app, "agent").id, "tickets:write")
    refused = send(
        app, "/api/v1/tickets/", staff, [("box.png", PNG)], customer_id=str(customer.id), **NEW_TICKET
    )
    assert refused.status_code == 422 and "files" in refused.json["errors"]["form"]
    assert count(app, Ticket) == 0 and stored_files(app) == []
    opened = send(app, "/api/v1/tickets/", staff, [], customer_id=str(customer.id), **NEW_TICKET)
    assert opened.status_code == 201 and opened.json["customer_id"] == customer.id
