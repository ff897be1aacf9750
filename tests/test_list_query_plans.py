"""A customer's lists read that customer's rows through an index, however many rows everyone else has.

Seen at scale (200,000 tickets, 40,000 documents on PostgreSQL), each list's cost grew with the whole
table rather than with the customer's share of it:
- the ticket list asked for "own OR in copy", and PostgreSQL walked every ticket newest first,
  filtering, until it had a page (121,433 rows read, about 100 ms);
- the documents list found each document's newest version by grouping every version of every
  document (40,012 rows, about 40 ms).
Each test below fills the table with other customers' rows, lets the database gather statistics,
takes the statement the page really ran and reads its plan.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, text

from plugins.documents.models import Document, Version
from plugins.loyalty.models import Entry
from plugins.tickets.models import Ticket
from portal.database import db, utcnow
from portal.testing import statements_with_parameters

OTHERS_ROWS = 6000


def plan_of(app: Flask, statement: str, parameters: Any) -> str:
    """The database's plan for one statement the app ran, as one line of text."""
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            if db.engine.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                return " | ".join(str(row[-1]) for row in cursor.fetchall())
            cursor.execute("EXPLAIN " + statement, parameters)
            return " | ".join(row[0] for row in cursor.fetchall())
        finally:
            connection.close()


def analyse(app: Flask) -> None:
    with app.app_context():
        db.session.execute(text("ANALYZE"))
        db.session.commit()


@pytest.mark.plugins("tickets")
def test_the_ticket_list_reads_the_customers_tickets_not_everyones(app, backend, client, make_user, login_as):
    others = make_user("customer")
    with app.app_context():
        now = utcnow()
        ticket = {"category": "question", "priority": "normal", "status": "open"}
        ticket |= {"first_response_due": now, "resolution_due": now}
        db.session.execute(
            insert(Ticket), [{**ticket, "customer_id": others.id, "subject": "Theirs"}] * OTHERS_ROWS
        )
        db.session.commit()
    customer = login_as("customer")
    with app.app_context():
        old = now - timedelta(days=400)
        mine = [{**ticket, "customer_id": customer.id, "subject": "Mine", "created_at": old}] * 3
        db.session.execute(insert(Ticket), mine)
        db.session.commit()
    analyse(app)
    with statements_with_parameters(app) as seen:
        page = client.get("/tickets/").get_data(as_text=True)
    assert page.count(">Mine</a>") == 3 and "Theirs" not in page
    (listing,) = [each for each in seen if each[0].lstrip().startswith("SELECT tickets_tickets.id")]
    plan = plan_of(app, *listing)
    if backend == "sqlite":
        assert "SCAN tickets_tickets" not in plan, plan
    else:
        assert "Seq Scan on tickets_tickets" not in plan and "Index Scan Backward" not in plan, plan


def add_documents(app: Flask, customer_id: int, count: int, title: str) -> None:
    """``count`` published documents for one customer, each with one uploaded version."""
    with app.app_context():
        document = {"title": title, "category": "invoice", "published": True, "published_at": utcnow()}
        ids = db.session.scalars(
            insert(Document).returning(Document.id),
            [{**document, "audience_customer_id": customer_id}] * count,
        ).all()
        version = {"number": 1, "storage_key": "k", "filename": "a.pdf", "mimetype": "application/pdf"}
        version |= {"size": 1, "sha256": "0" * 64}
        db.session.execute(insert(Version), [{**version, "document_id": each} for each in ids])
        db.session.commit()


@pytest.mark.plugins("documents")
def test_the_documents_list_reads_the_customers_documents_not_everyones(
    app, backend, client, make_user, login_as
):
    add_documents(app, make_user("customer").id, OTHERS_ROWS, "Theirs")
    customer = login_as("customer")
    add_documents(app, customer.id, 3, "Mine")
    analyse(app)
    with statements_with_parameters(app) as seen:
        page = client.get("/documents/").get_data(as_text=True)
    assert page.count("Mine") == 3 and "Theirs" not in page
    reads = [each for each in seen if "FROM documents_documents" in each[0]]
    assert len(reads) == 2, "the list, and the plugin segments its documents are aimed at"
    for statement in reads:
        plan = plan_of(app, *statement)
        if backend == "sqlite":
            assert "SCAN documents_documents" not in plan and "SCAN documents_versions" not in plan, plan
        else:
            scans = ("Seq Scan on documents_documents", "Seq Scan on documents_versions", "HashAggregate")
            assert not any(scan in plan for scan in scans), plan


@pytest.mark.plugins("loyalty")
def test_the_360_page_finds_goodwill_without_reading_the_whole_ledger(
    app, backend, client, make_user, login_as
):
    customer = make_user("customer")
    with app.app_context():
        entry = {"user_id": customer.id, "points": 5, "remaining": 5, "reason": "purchase"}
        db.session.execute(insert(Entry), [{**entry, "kind": "earned"}] * OTHERS_ROWS)
        db.session.execute(insert(Entry), [{**entry, "kind": "goodwill", "reason": "Sorry for the wait"}])
        db.session.commit()
    analyse(app)
    login_as("agent")
    with statements_with_parameters(app) as seen:
        page = client.get(f"/staff/customers/{customer.id}").get_data(as_text=True)
    assert "Sorry for the wait" in page
    (goodwill,) = [
        each for each in seen if "FROM loyalty_entries" in each[0] and "kind" in each[0].split("WHERE")[1]
    ]
    assert "ix_loyalty_entries_user_id_kind_id" in plan_of(app, *goodwill)
