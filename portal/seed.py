"""``portal seed``: a database filled to a known size, for measuring pages as data grows.

The same data on every run (seeded random numbers, fixed dates relative to one start), written with bulk
inserts through the models' tables in batches (COPY on PostgreSQL where no id is read back), so a million
tickets take minutes, not hours. The core adds accounts, organizations and events; each enabled plugin adds
its own rows through the ``portal_seed`` hook, given a ``SeedRun`` with the counts asked for and the
accounts to use. docs/performance.md tells how the benchmark harness uses it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from random import Random
from typing import Any, cast

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Table, func, insert, inspect, select, text
from sqlalchemy.orm import QueryableAttribute

from portal.accounts.models import User
from portal.bulk_copy import can_copy, copy_rows
from portal.database import Model, db, utcnow
from portal.demo import load_demo_data
from portal.events import StoredEvent
from portal.organizations.models import Membership, Organization
from portal.passwords import hash_password
from portal.plugin_manager import plugin_host

SEED_PASSWORD = "portal-seed-password"  # noqa: S105  (published on purpose: seeded data only)
SEED_DOMAIN = "seed.example.com"
ADMIN_EMAIL = f"admin@{SEED_DOMAIN}"
BATCH = 5000
HISTORY = timedelta(days=3 * 365)
ORGANIZATION_SIZE = 5
AGENTS_PER_CUSTOMERS = 500


@dataclass(frozen=True)
class SeedCounts:
    """How many rows of each kind to add; a plugin reads the ones about its own data."""

    customers: int
    tickets: int
    replies: int
    ledger_rows: int
    documents: int
    survey_responses: int
    events: int


SCALES = {
    "small": SeedCounts(
        customers=1_000,
        tickets=1_000,
        replies=3,
        ledger_rows=30_000,
        documents=2_000,
        survey_responses=5_000,
        events=20_000,
    ),
    # The performance issue's "flat as data grows" size.
    "large": SeedCounts(
        customers=100_000,
        tickets=1_000_000,
        replies=3,
        ledger_rows=10_000_000,
        documents=200_000,
        survey_responses=500_000,
        events=2_000_000,
    ),
}


@dataclass(frozen=True)
class SeedRun:
    """What ``portal_seed`` hands each plugin: the counts, the accounts, and helpers for bulk inserts.

    ``customer_ids[0]`` is the benchmark's customer (``customer_email(1)``): give them a fuller share
    (a few pages of tickets, a long ledger) so their pages show what a busy customer sees.
    """

    counts: SeedCounts
    customer_ids: list[int]
    agent_ids: list[int]
    admin_id: int
    started: datetime

    def random(self, name: str) -> Random:
        """A random generator of its own for ``name``, so one plugin's data never shifts another's."""
        return Random(f"portal-seed:{name}")  # noqa: S311  (test data, not secrets)

    def moment(self, rng: Random) -> datetime:
        """A time within the three years before the run started, for rows spread over history."""
        return self.started - timedelta(seconds=rng.randrange(int(HISTORY.total_seconds())))

    def insert(
        self,
        model: type[Model] | Table,
        rows: Iterable[dict[str, Any]],
        total: int,
        label: str,
        commit_each: bool = True,
    ) -> None:
        """Insert ``rows`` in committed batches with a progress bar; a generator keeps memory flat.

        ``commit_each=False`` leaves every batch in the caller's transaction, for a plugin that must
        finish its rows (and what it derives from them) before anyone sees them.
        """
        for _batch in self._batches(model, rows, total, label, returning=None, commit_each=commit_each):
            pass

    def insert_returning(
        self,
        model: type[Model],
        column: QueryableAttribute[Any],
        rows: Iterable[dict[str, Any]],
        total: int,
        label: str,
    ) -> list[Any]:
        """Like ``insert``, and return ``column`` of each row in the order given (new ids, say)."""
        found: list[Any] = []
        for batch in self._batches(model, rows, total, label, returning=column):
            found.extend(batch)
        return found

    def _batches(
        self,
        model: type[Model] | Table,
        rows: Iterable[dict[str, Any]],
        total: int,
        label: str,
        returning: QueryableAttribute[Any] | None,
        commit_each: bool = True,
    ) -> Iterator[list[Any]]:
        # Through the table, not the ORM: the ORM's bulk insert splits a batch wherever the pattern of
        # None values changes from one row to the next, down to a statement a row on varied data.
        table = model if isinstance(model, Table) else cast(Table, model.__table__)
        statement: Any = insert(table)
        if returning is not None:
            statement = statement.returning(table.c[returning.key], sort_by_parameter_order=True)
        source = iter(rows)
        with click.progressbar(length=total, label=f"{label:<22}") as bar:
            while batch := list(itertools.islice(source, BATCH)):
                connection = db.session.connection()
                if returning is None and can_copy(connection, table, list(batch[0])):
                    copy_rows(connection, table, batch)
                    found = []
                else:
                    result = db.session.execute(statement, batch)
                    found = list(result.scalars()) if returning is not None else []
                if commit_each:
                    db.session.commit()
                bar.update(len(batch))
                yield found


def customer_email(number: int) -> str:
    """The sign-in of the ``number``-th seeded customer (from 1), whose password is ``SEED_PASSWORD``."""
    return f"customer{number}@{SEED_DOMAIN}"


def agent_email(number: int) -> str:
    """The sign-in of the ``number``-th seeded agent (from 1)."""
    return f"agent{number}@{SEED_DOMAIN}"


def seed(counts: SeedCounts, *, first_number: int = 1) -> SeedRun:
    """Add the demo catalogue, then ``counts`` of everything, numbering customers from ``first_number``."""
    load_demo_data()  # rewards, surveys, help articles, slots: what the seeded customers' pages list
    started = utcnow().replace(microsecond=0)
    password_hash = hash_password(SEED_PASSWORD)
    admin_id = _staff_account(ADMIN_EMAIL, "Seed Administrator", "admin", password_hash)
    agents = max(2, counts.customers // AGENTS_PER_CUSTOMERS)
    agent_ids = [
        _staff_account(agent_email(number), f"Seed Agent {number}", "agent", password_hash)
        for number in range(1, agents + 1)
    ]
    db.session.commit()
    run = SeedRun(counts, [], agent_ids, admin_id, started)
    rng = run.random("core")
    customer_rows = (
        {
            "email": customer_email(number),
            "name": f"Customer {number}",
            "role": "customer",
            "language": "en",
            "timezone": "UTC",
            "password_hash": password_hash,
            "email_verified_at": started,
            "session_token": f"seed-{number}",
            "created_at": run.moment(rng),
        }
        for number in range(first_number, first_number + counts.customers)
    )
    customer_ids = run.insert_returning(User, User.id, customer_rows, counts.customers, "customers")
    run = replace(run, customer_ids=customer_ids)
    _seed_organizations(run)
    _seed_events(run)
    plugin_host().hook.portal_seed(run=run)
    db.session.commit()
    _refresh_planner_statistics()
    return run


def _refresh_planner_statistics() -> None:
    """Tell the database's planner how big the tables now are, as its autovacuum would later.

    Right after a bulk load PostgreSQL still believes the tables hold a few hundred rows and picks
    plans for that size: the staff queue measured seven times slower at 100,000 tickets until ANALYZE,
    a figure about the seeding, not about the portal.
    """
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _staff_account(email: str, name: str, role: str, password_hash: str) -> int:
    """The staff account with ``email``, made if missing, so a second seed (``--force``) reuses it."""
    found = db.session.scalar(select(User.id).where(User.email == email))
    if found is not None:
        return found
    user = User(email=email, name=name, role=role, password_hash=password_hash, email_verified_at=utcnow())
    db.session.add(user)
    db.session.flush()
    return user.id


def _seed_organizations(run: SeedRun) -> None:
    """Half the customers in organizations of five, the first of each its manager (customer 1 is one)."""
    grouped = run.customer_ids[: len(run.customer_ids) // 2]
    groups = [
        grouped[start : start + ORGANIZATION_SIZE] for start in range(0, len(grouped), ORGANIZATION_SIZE)
    ]
    groups = [group for group in groups if len(group) > 1]
    rows = (
        {"name": f"Seed Company {number}", "kind": "company", "created_at": run.started}
        for number in range(1, len(groups) + 1)
    )
    organization_ids = run.insert_returning(Organization, Organization.id, rows, len(groups), "organizations")
    members = (
        {
            "user_id": user_id,
            "organization_id": organization_id,
            "role": "manager" if position == 0 else "member",
            "joined_at": run.started,
        }
        for organization_id, group in zip(organization_ids, groups, strict=True)
        for position, user_id in enumerate(group)
    )
    run.insert(Membership, members, sum(len(group) for group in groups), "memberships")


def _seed_events(run: SeedRun) -> None:
    """The core's own events on the customers' timelines, oldest first; the first customer gets a tenth."""
    rng = run.random("events")
    total = run.counts.events
    customers = run.customer_ids
    times = sorted(run.moment(rng) for _ in range(total))

    def rows() -> Iterator[dict[str, Any]]:
        for number, created_at in enumerate(times):
            customer_id = customers[0] if number % 10 == 0 else rng.choice(customers)
            name = "core.registered" if number % 2 else "core.email_verified"
            yield {
                "name": name,
                "payload": {"user_id": customer_id},
                "customer_id": customer_id,
                "actor_id": None,
                "created_at": created_at,
            }

    if customers:
        run.insert(StoredEvent, rows(), total, "events")


def _count_option(name: str) -> Any:
    return click.option(
        f"--{name.replace('_', '-')}", name, type=click.IntRange(min=0), help=f"Override the scale's {name}."
    )


@click.command("seed")
@click.option(
    "--scale", type=click.Choice(sorted(SCALES)), default="small", show_default=True, help="How much data."
)
@click.option("--force", is_flag=True, help="Seed even though the database already has customers.")
@_count_option("customers")
@_count_option("tickets")
@_count_option("replies")
@_count_option("ledger_rows")
@_count_option("documents")
@_count_option("survey_responses")
@_count_option("events")
@with_appcontext
def seed_command(scale: str, force: bool, **overrides: int | None) -> None:
    """Fill the database with a known amount of data for benchmarks (never in production).

    Seeded accounts sign in with the password printed at the end. Without --force it refuses a
    database that already has customers, so it is not run by mistake on real data.
    """
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("Refusing to seed a production portal (PORTAL_ENV is production).")
    if "portal_users" not in inspect(db.engine).get_table_names():
        raise click.ClickException("The database has no tables yet. Run 'portal migrate' first.")
    customers = db.session.scalar(select(func.count()).select_from(User).where(User.role == "customer")) or 0
    if customers and not force:
        raise click.ClickException(
            f"The database already has {customers} customers; seeding is for an empty one "
            "(use --force to add more)."
        )
    chosen = {
        field.name: value for field in fields(SeedCounts) if (value := overrides[field.name]) is not None
    }
    counts = replace(SCALES[scale], **chosen)
    seeded = db.session.scalar(
        select(func.count()).select_from(User).where(User.email.like(f"customer%@{SEED_DOMAIN}"))
    )
    first = (seeded or 0) + 1
    seed(counts, first_number=first)
    click.echo(f"Seeded {counts.customers} customers ({scale} scale, counts: {_describe(counts)}).")
    click.echo(
        f"Sign in as {customer_email(first)}, {agent_email(1)} or {ADMIN_EMAIL}; password: {SEED_PASSWORD}"
    )


def _describe(counts: SeedCounts) -> str:
    return ", ".join(
        f"{field.name.replace('_', ' ')} {getattr(counts, field.name):,}" for field in fields(counts)
    )
