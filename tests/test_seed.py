"""``portal seed``: the promised rows on both databases, working sign-ins, reconciled totals, no reruns."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text

from plugins.documents.models import Document
from plugins.loyalty import ledger, totals
from plugins.loyalty.models import Entry
from plugins.surveys.models import Response
from plugins.tickets.models import Message, Ticket
from portal.accounts.models import User
from portal.bulk_copy import can_copy, copy_rows
from portal.database import db
from portal.events import StoredEvent
from portal.seed import ADMIN_EMAIL, SEED_DOMAIN, SEED_PASSWORD, agent_email, customer_email
from portal.testing import log_in

ALL_PLUGINS = ("tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter")
TINY = [
    "--customers=12",
    "--tickets=10",
    "--replies=3",
    "--ledger-rows=300",
    "--documents=6",
    "--survey-responses=20",
    "--events=30",
]


def _planner_knows_the_tickets() -> bool:
    if db.engine.dialect.name == "sqlite":
        stats = text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        return (
            db.session.scalar(stats) == 1
            and db.session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'tickets_tickets'")) > 0
        )
    analysed = text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'tickets_tickets'")
    return db.session.scalar(analysed) is not None


def _count(statement):
    return db.session.scalar(select(func.count()).select_from(statement.subquery()))


@pytest.mark.plugins(*ALL_PLUGINS)
def test_seed_makes_the_promised_rows_and_refuses_to_run_twice(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--scale=small", *TINY])
    assert result.exit_code == 0, result.output
    assert customer_email(1) in result.output and SEED_PASSWORD in result.output

    with app.app_context():
        seeded = select(User.id).where(User.email.like(f"%@{SEED_DOMAIN}"), User.role == "customer")
        assert _count(seeded) == 12
        tickets = select(Ticket.id).where(Ticket.customer_id.in_(seeded))
        assert _count(tickets) == 10
        assert _count(select(Message.id).where(Message.ticket_id.in_(tickets))) == 10 * 4
        assert _count(select(Entry.id).where(Entry.user_id.in_(seeded))) == 300
        assert ledger.reconcile() == []
        assert totals.differences() == 0
        assert _count(select(Document.id).where(Document.audience_customer_id.in_(seeded))) == 6
        assert _count(select(Response.id).where(Response.customer_id.in_(seeded))) == 20
        assert _count(select(StoredEvent.id).where(StoredEvent.customer_id.in_(seeded))) == 30
        assert _planner_knows_the_tickets(), "benchmarks right after a seed plan for the real table sizes"
    reconciled = runner.invoke(args=["loyalty", "reconcile"])
    assert reconciled.exit_code == 0, reconciled.output
    assert "All daily totals agree with the ledger." in reconciled.output
    with app.app_context():
        # The totals keep following the ledger after a seed: the database's triggers are on again.
        first = db.session.scalar(select(User.id).where(User.email == customer_email(1)))
        db.session.add(Entry(user_id=first, kind="adjusted", points=7))
        db.session.commit()
        assert totals.differences() == 0

    customer = app.test_client()
    log_in(customer, customer_email(1), SEED_PASSWORD)
    assert "Invoice 2026-001 (1)" in customer.get("/documents/").get_data(as_text=True)
    assert "Seeded survey" in customer.get("/surveys/").get_data(as_text=True)
    for email in (agent_email(1), ADMIN_EMAIL):
        staff = app.test_client()
        log_in(staff, email, SEED_PASSWORD)
        assert staff.get("/staff/tickets/").status_code == 200

    again = runner.invoke(args=["seed", *TINY])
    assert again.exit_code != 0
    assert "already has" in again.output and "--force" in again.output
    nothing_else = ["--tickets=0", "--ledger-rows=0", "--documents=0", "--survey-responses=0", "--events=0"]
    forced = runner.invoke(args=["seed", "--force", "--customers=3", *nothing_else])
    assert forced.exit_code == 0, forced.output
    with app.app_context():
        assert _count(seeded) == 15
        assert db.session.scalar(select(User.id).where(User.email == customer_email(15))) is not None


def test_seed_refuses_a_production_portal(app):
    app.config["PORTAL_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed", "--customers=1"])
    assert result.exit_code != 0
    assert "production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.plugins("example")
def test_portal_seed_hands_enabled_plugins_the_seeded_customers(app):
    result = app.test_cli_runner().invoke(args=["seed", "--customers=4", "--events=0"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from portal_example_plugin.models import Note

        seeded = select(User.id).where(User.email.like(f"%@{SEED_DOMAIN}"), User.role == "customer")
        noted = select(Note.user_id).where(Note.user_id.in_(seeded))
        assert sorted(db.session.scalars(noted)) == sorted(db.session.scalars(seeded))
        assert len(db.session.scalars(noted).all()) == 4


def test_copied_rows_get_what_an_insert_would_have_given_them(app, backend):
    """PostgreSQL's seed batches go in by COPY, which knows no Python-side defaults or JSON."""
    with app.app_context():
        connection = db.session.connection()
        table = StoredEvent.__table__
        rows = [{"name": "seed.copied", "customer_id": None, "actor_id": None, "payload": {"note": "café ✓"}}]
        assert can_copy(connection, table, list(rows[0])) == (backend == "postgresql"), "COPY is PostgreSQL's"
        for batch in (rows, [{"name": "seed.bare", "customer_id": None, "actor_id": None}]):
            if backend == "postgresql":
                copy_rows(connection, table, batch)
            else:
                db.session.execute(insert(table), batch)
        db.session.commit()
        copied = db.session.scalars(select(StoredEvent).order_by(StoredEvent.id)).all()
        assert [(event.name, event.payload) for event in copied] == [
            ("seed.copied", {"note": "café ✓"}),
            ("seed.bare", {}),
        ], "the JSON as given, and the column's default where the row has none"
        assert all(event.created_at is not None for event in copied)
