"""Where the main pages spend their time: milliseconds, SQL statements, translation and date-format calls.

Run it from the project root:  .venv/bin/python benchmarks/render_profile.py [--requests 50]
                                [--database-url postgresql://postgres@127.0.0.1:5432/bench]
                                [--customer sara@example.com] [--profile /staff/tickets/]

It migrates a fresh database with every built-in plugin (a temporary SQLite file unless a URL names an
empty one), loads the demo data, then gives one customer 30 tickets of four messages each, 200 ledger
entries and the demo's documents and surveys, signs in as that customer and then as the demo agent and
opens each main page ``--requests`` times through the Flask test client. For each page it prints the
median and the 95th percentile of the request's CPU time in milliseconds, the statements the page
ran, and, counted with cProfile on one extra request, how many texts it looked up in the translation
catalogues and how many dates and numbers it wrote through ``portal.dates`` and ``portal.numbers``.
Rendering cost shows in the last two columns; run it before and after a change to a template or to
per-request code, on the same machine, and compare (``--customer sara@example.com`` reads in Persian).

``--profile URL`` prints the 40 most expensive functions (cumulative time) of one request to that page
instead of the table; ``{customer}`` and ``{ticket}`` in it stand for the seeded ids.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from datetime import timedelta

from bench_app import migrated_app, timed_requests
from flask import Flask
from flask.testing import FlaskClient

from plugins.loyalty import ledger
from plugins.tickets.models import PRIORITIES, STATUSES, Message, Ticket
from portal.accounts.models import find_user_by_email
from portal.database import db, utcnow
from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.testing import log_in

PLUGINS = ["tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter"]
AGENT = "agent@example.com"
TICKETS = 30
REPLIES = 3
LEDGER_ENTRIES = 200
# A catalogue lookup: the standard library's gettext methods and Babel's context variants.
CATALOGUE_LOOKUPS = {"gettext", "ngettext", "pgettext", "npgettext", "upgettext", "unpgettext"}
# The portal's own date and number writers, which every page's dates and numbers go through.
FORMAT_FILES = ("portal/dates.py", "portal/numbers.py")
FORMATS = {"format_datetime", "format_date", "format_time", "format_number", "format_percent_value"}


def seed(app: Flask, customer_email: str) -> tuple[int, int]:
    """The demo data, plus a customer with a busy ticket list and a long ledger; their ids."""
    with app.app_context():
        load_demo_data()
        customer = find_user_by_email(customer_email)
        agent = find_user_by_email(AGENT)
        assert customer is not None and agent is not None
        now = utcnow()
        tickets = [
            Ticket(
                customer_id=customer.id,
                subject=f"Order {number} arrived damaged",
                category="question",
                priority=PRIORITIES[number % len(PRIORITIES)],
                status=STATUSES[number % 3],
                assignee_id=agent.id if number % 2 else None,
                first_response_due=now + timedelta(hours=number - 10),
                resolution_due=now + timedelta(days=3),
            )
            for number in range(TICKETS)
        ]
        db.session.add_all(tickets)
        db.session.flush()
        for ticket in tickets:
            for reply in range(REPLIES + 1):
                author = agent.id if reply % 2 else customer.id
                db.session.add(
                    Message(ticket_id=ticket.id, author_id=author, body=f"Message {reply} of the story.")
                )
        for number in range(LEDGER_ENTRIES):
            ledger.credit(customer.id, 5 + number % 40, "earned", reason=f"purchase {number}")
        db.session.commit()
        return customer.id, tickets[-1].id


# (who, url) of every main page, customer pages first; filled in with the seeded ids.
PAGES = [
    ("customer", "/dashboard"),
    ("customer", "/tickets/"),
    ("customer", "/tickets/{ticket}"),
    ("customer", "/loyalty/"),
    ("customer", "/documents/"),
    ("customer", "/surveys/"),
    ("customer", "/help/"),
    ("agent", "/staff/"),
    ("agent", "/staff/tickets/"),
    ("agent", "/staff/tickets/{ticket}"),
    ("agent", "/staff/customers/{customer}"),
]


def cpu_times(client: FlaskClient, url: str, requests: int) -> list[float]:
    """Milliseconds of this thread's CPU time for each of ``requests`` requests to ``url``.

    CPU time rather than wall time: the figure to compare before and after a change should not move
    when another process takes the machine's cores for a while. SQLite runs in this thread, so its
    work counts; a PostgreSQL server's does not.
    """
    times = []
    for _ in range(requests):
        started = time.thread_time()
        response = client.get(url)
        times.append((time.thread_time() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return times


def profiled(client: FlaskClient, url: str) -> pstats.Stats:
    """cProfile of one request to ``url``."""
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    return pstats.Stats(profiler)


def call_counts(stats: pstats.Stats) -> tuple[int, int]:
    """Catalogue lookups (one per translated text) and dates and numbers written in one request."""
    translations = formats = 0
    for (filename, _line, name), (_primitive, calls, *_rest) in stats.stats.items():  # type: ignore[attr-defined]
        lookup_file = filename.endswith("/gettext.py") or filename.endswith("babel/support.py")
        if lookup_file and name in CATALOGUE_LOOKUPS:
            translations += calls
        elif filename.endswith(FORMAT_FILES) and name in FORMATS:
            formats += calls
    return translations, formats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default="", help="an empty database; SQLite when left out")
    parser.add_argument("--customer", default="david@example.com", help="a demo customer's email")
    parser.add_argument("--profile", default="", help="print one request's profile of this URL")
    args = parser.parse_args()
    app = migrated_app(PLUGINS, args.database_url, "render-profile-")
    customer_id, ticket_id = seed(app, args.customer)
    clients = {"customer": app.test_client(), "agent": app.test_client()}
    log_in(clients["customer"], args.customer, DEMO_PASSWORD)
    log_in(clients["agent"], AGENT, DEMO_PASSWORD)
    if args.profile:
        who = "agent" if args.profile.startswith("/staff") else "customer"
        url = args.profile.format(customer=customer_id, ticket=ticket_id)
        timed_requests(app, clients[who], [url] * 3)
        profiled(clients[who], url).sort_stats("cumulative").print_stats(40)
        return 0
    print(f"{'page (CPU ms)':<28}{'p50':>8}{'p95':>8}  {'SQL':<8}{'lookups':>8}{'format':>8}")
    for who, page in PAGES:
        client, url = clients[who], page.format(customer=customer_id, ticket=ticket_id)
        _times, counts = timed_requests(app, client, [url] * 3)  # also warms the templates and caches
        times = cpu_times(client, url, args.requests)
        translations, formats = call_counts(profiled(client, url))
        p95 = statistics.quantiles(times, n=20)[-1]
        shown = ",".join(str(count) for count in sorted(counts))
        print(
            f"{page:<28}{statistics.median(times):>8.1f}{p95:>8.1f}  {shown:<8}{translations:>8}{formats:>8}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
