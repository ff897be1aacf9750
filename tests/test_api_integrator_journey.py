"""An integrator's first day, following docs/api.md step by step: the whole of what the API promises.

An administrator makes the web shop an integration and a token. The shop then subscribes a real
HTTP receiver to ticket events, brings its customers and purchases in from CSV, reads them back out,
opens a ticket for a customer, hears of her reply by a signed webhook, and answers it. Each step is
the call the documentation shows; each result is what the shop, or the customer, would see.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from webhook_receiver import Receiver, running_receiver, verify

from portal.testing import (
    TEST_PASSWORD,
    create_user,
    csrf_token,
    link_in,
    log_in,
    post_form,
    read_outbox,
    text_of,
)

pytestmark = pytest.mark.plugins("tickets", "loyalty")

TOKEN_TEXT = re.compile(r"ptk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
CUSTOMERS_CSV = "email,name,language\nsara@shop.example,Sara Ahmadi,fa\nomid@shop.example,Omid Rahimi,en\n"
PURCHASES_CSV = "email,amount,reference\nsara@shop.example,120.00,R-1001\nomid@shop.example,35.50,R-1002\n"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def app_config(app_config):
    app_config["PORTAL_WEBHOOK_ALLOWED_NETWORKS"] = ["127.0.0.1/32"]
    return app_config


def _shop_token(app: Flask) -> str:
    """What the administrator does on the pages: the integration, then its token, copied once."""
    admin = create_user(app, role="admin")
    pages = app.test_client()
    log_in(pages, admin.email, TEST_PASSWORD)
    made = post_form(pages, "/staff/integrations/", {"name": "Web shop", "access": "admin"})
    assert made.status_code == 303
    scopes = {f"scope_{area}": "write" for area in ("customers", "loyalty", "tickets", "webhooks")}
    answer = pages.post(
        made.headers["Location"],
        data={"csrf_token": csrf_token(pages), "name": "Shop server", "lifetime": "365", **scopes},
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    [text] = TOKEN_TEXT.findall(answer.get_data(as_text=True))
    return text


def _rows(answer) -> list[dict[str, str]]:
    assert answer.status_code == 200 and answer.mimetype == "text/csv", answer.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))


def test_an_integrator_syncs_both_ways_answers_tickets_and_hears_signed_webhooks(
    app: Flask, receiver: Receiver
) -> None:
    shop = app.test_client()
    bearer = {"Authorization": f"Bearer {_shop_token(app)}"}

    hook = shop.post(
        "/api/v1/webhooks/",
        json={"url": receiver.url, "description": "Shop", "events": ["tickets.replied"]},
        headers=bearer,
    )
    assert hook.status_code == 201, hook.get_data(as_text=True)
    secret = hook.json["secret"]

    csv_body = {**bearer, "Content-Type": "text/csv"}
    dry = shop.post("/api/v1/imports/customers?dry_run=true", data=CUSTOMERS_CSV, headers=csv_body)
    assert dry.status_code == 200 and dry.json["rows"] == 2 and dry.json["created"] == 0
    imported = shop.post("/api/v1/imports/customers", data=CUSTOMERS_CSV, headers=csv_body)
    assert imported.status_code == 201 and imported.json["created"] == 2, imported.get_data(as_text=True)
    again = shop.post("/api/v1/imports/customers", data=CUSTOMERS_CSV, headers=csv_body)
    assert again.json["created"] == 0 and again.json["unchanged"] == 2, "a file sent twice changes nothing"
    purchases = shop.post("/api/v1/imports/loyalty.purchases", data=PURCHASES_CSV, headers=csv_body)
    assert purchases.status_code == 201 and purchases.json["created"] == 2, purchases.get_data(as_text=True)

    customers = {row["email"]: row for row in _rows(shop.get("/api/v1/exports/customers", headers=bearer))}
    assert customers["sara@shop.example"]["name"] == "Sara Ahmadi"
    assert customers["sara@shop.example"]["language"] == "fa"
    bought = {
        row["reference"]: row for row in _rows(shop.get("/api/v1/exports/loyalty.purchases", headers=bearer))
    }
    assert bought["R-1001"]["email"] == "sara@shop.example" and int(bought["R-1001"]["points"]) > 0
    sara_id = int(customers["sara@shop.example"]["id"])
    balance = shop.get(f"/api/v1/loyalty/balance?customer_id={sara_id}", headers=bearer)
    assert balance.status_code == 200 and balance.json["balance"] == int(bought["R-1001"]["points"])

    opened = shop.post(
        "/api/v1/tickets/",
        json={
            "subject": "Your order R-1001",
            "body": "One item is on back order; shall we send the rest now?",
            "category": "question",
            "customer_id": sara_id,
        },
        headers={**bearer, "Idempotency-Key": "order-R-1001-backorder"},
    )
    assert opened.status_code == 201, opened.get_data(as_text=True)
    ticket_id = opened.json["id"]

    sara = app.test_client()  # her account came from the shop: she chooses a password by the reset link
    post_form(sara, "/forgot-password", {"email": "sara@shop.example"})
    [mail] = [each for each in read_outbox(app) if "/reset-password/" in text_of(each)]
    post_form(sara, link_in(mail, "/reset-password/"), {"password": TEST_PASSWORD})
    log_in(sara, "sara@shop.example", TEST_PASSWORD)
    page = sara.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "back order" in page and "Web shop" in page, "she sees who wrote: the shop, by name"
    replied = post_form(sara, f"/tickets/{ticket_id}/reply", {"body": "Yes please, send the rest."})
    assert replied.status_code in (302, 303)

    [heard] = receiver.requests
    assert verify(secret, heard.headers, heard.body), "the receiver's own check accepts the signature"
    event = json.loads(heard.body)
    assert event["type"] == "tickets.replied" and event["data"]["ticket_id"] == ticket_id
    assert event["data"]["author"] == "customer"

    messages = shop.get(f"/api/v1/tickets/{ticket_id}/messages", headers=bearer)
    assert [message["body"] for message in messages.json["items"]][-1] == "Yes please, send the rest."
    answer = shop.post(
        f"/api/v1/tickets/{ticket_id}/messages",
        json={"body": "Sent today, tracking to follow."},
        headers=bearer,
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert "Sent today, tracking to follow." in sara.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert len(receiver.requests) == 2, "the shop's own answer is an event too"
