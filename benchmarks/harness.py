"""``make bench``: every main page under load, side by side with a bare Flask page, in one run.

Run it from the project root:  .venv/bin/python benchmarks/harness.py [--scale small|large]
        [--database postgresql://postgres@127.0.0.1:5432/bench] [--duration 15 | --quick] [--profile]
        [--customers N --tickets N --ledger-rows N …] [--seeded]

It migrates and seeds (``portal seed``) a fresh database (a temporary SQLite file unless --database
names an empty one; with --seeded, one an earlier run seeded, which is only migrated), then for each
main page: requests it once through the Flask test client, signed in through the real form, counting its
SQL statements and checking it answered 200 with the content it should; serves the portal with gunicorn
(2 sync workers) and the bare page of bare_app.py the same way; signs in over HTTP through the login
form (CSRF token and all) as a customer and as an agent; and runs ``wrk -t2 -c16 --latency`` on each
page with that session's cookie. It prints a table of requests per second, p50 and p99 latency,
statements and the ratio to the bare page (measured between the portal's pages, averaged), writes it to
benchmarks/results/<date>-<backend>-<scale>.md, and marks each row PASS or MISS against the performance
targets. A MISS does not fail the run: it is a measurement. docs/performance.md explains how to read the
table.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.cookiejar
import io
import os
import platform
import pstats
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench_app import ROOT
from flask import Flask
from sqlalchemy import event, func, select

from plugins.tickets.models import Message, Ticket
from plugins.tickets.seed import REPLY_BODIES
from portal.accounts.models import User
from portal.app import create_app
from portal.database import db
from portal.seed import SEED_PASSWORD, agent_email, customer_email
from portal.testing import log_in

BENCHMARKS = ROOT / "benchmarks"
RESULTS = BENCHMARKS / "results"
BIN = Path(sys.executable).parent
SECRET = "benchmark-secret-" + "x" * 40
CUSTOMER_TARGET = 0.50  # every customer page at least half the bare page's requests per second
STAFF_TARGET = 0.35  # the staff queue and ticket page
P99_TARGET_MS = 100.0  # every customer page, at 16 connections on 2 workers
BARE_EVERY = 4  # the bare page is measured before every fourth page and at the end, as the load drifts
WARM_UP_SECONDS = 1
# The ticket pages measure a closed ticket at every size: a closed ticket's page shows more (the rating,
# the survey and goodwill panels) than an open one's, so the newest ticket of any status made the
# small and the large run measure different pages.
BENCHMARK_TICKET_STATUS = "closed"
PROFILED_REQUESTS = 20
# Flask-Login's session protection ties a session to the address and User-Agent that signed in. wrk
# sends the sign-in's User-Agent, as a browser would: with another (wrk sends none of its own), every
# request marked the session not fresh and answered with a new cookie.
USER_AGENT = "portal-bench"
WRK_TIMEOUT_SECONDS = 10  # a slow answer counts in the percentiles instead of vanishing as a timeout
SEED_COUNTS = ("customers", "tickets", "replies", "ledger_rows", "documents", "survey_responses", "events")
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class Page:
    """One page to measure: who requests it, its path, the text it must show, and its target."""

    name: str
    role: str  # "visitor", "customer" or "agent"
    path: str
    expected: str
    target: float | None  # least share of the bare page's req/s, or None for no target
    customer_page: bool  # the p99 target applies


@dataclass(frozen=True)
class Measure:
    """What wrk saw on one URL."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass(frozen=True)
class ProfileShare:
    """Where one page's time goes under cProfile: milliseconds a request, shares in rendering and SQL."""

    ms_per_request: float
    render: float
    sql: float


@dataclass(frozen=True)
class Row:
    page: Page
    measure: Measure
    queries: int


def main() -> int:
    args = parse_arguments()
    for program in ("wrk", str(BIN / "gunicorn")):
        if shutil.which(program) is None:
            raise SystemExit(
                f"{program} is missing: install wrk (apt-get install wrk) and `make bench` installs gunicorn."
            )
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    database = args.database or f"sqlite:///{folder / 'portal.sqlite3'}"
    env = portal_environment(folder, database)
    overrides = [
        f"--{name.replace('_', '-')}={value}"
        for name in SEED_COUNTS
        if (value := getattr(args, name)) is not None
    ]
    started = time.perf_counter()
    portal = str(BIN / "portal")  # the commands run here are this project's own programs and wrk
    migrated = subprocess.run([portal, "migrate"], env=env, capture_output=True, text=True)  # noqa: S603
    if migrated.returncode:
        raise SystemExit(f"portal migrate failed:\n{migrated.stderr}")
    if not args.seeded:
        subprocess.run([portal, "seed", f"--scale={args.scale}", *overrides], env=env, check=True)  # noqa: S603
    print(f"migrated{'' if args.seeded else ' and seeded'} in {time.perf_counter() - started:.0f}s")
    pages = main_pages(folder, database)
    queries, profiles = count_queries(folder, database, pages, args.profile)
    bare_database = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", database)
    if not args.database:
        bare_database = f"sqlite:///{folder / 'bare.sqlite3'}"
    bare_env = {**os.environ, "BARE_DATABASE_URL": bare_database}
    load_before = os.getloadavg()[0]
    rows, bare_runs = [], []
    with (
        gunicorn(["bare_app:app"], bare_env, BENCHMARKS, args.workers) as bare,
        gunicorn(["portal.wsgi:app"], env, ROOT, args.workers) as portal,
    ):
        cookies = {
            role: sign_in(portal, email)
            for role, email in (("customer", customer_email(1)), ("agent", agent_email(1)))
        }
        cookies["visitor"] = ""
        for number, page in enumerate(pages):
            if number % BARE_EVERY == 0:
                bare_runs.append(wrk(f"{bare}/rows", "", args))
                print(f"bare page: {bare_runs[-1].requests_per_second:.0f} req/s")
            check_over_http(portal, page, cookies[page.role])
            measure = wrk(portal + page.path, cookies[page.role], args)
            print(f"{page.name}: {measure.requests_per_second:.0f} req/s")
            rows.append(Row(page, measure, queries[page.name]))
        bare_runs.append(wrk(f"{bare}/rows", "", args))
    load = (load_before, os.getloadavg()[0])
    backend = "postgresql" if database.startswith("postgres") else "sqlite"
    scale = args.scale if not overrides else f"{args.scale}-custom"
    report = format_report(rows, bare_runs, load, args, backend, scale, " ".join(overrides))
    report += format_profiles(profiles)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    target = RESULTS / f"{now:%Y-%m-%d}-{backend}-{scale}.md"
    if target.exists():  # a second run on the same day keeps the first one's file
        target = RESULTS / f"{now:%Y-%m-%d-%H%M}-{backend}-{scale}.md"
    target.write_text(report)
    print(f"written to {target.relative_to(ROOT)}")
    if not args.database:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", default="", help="an empty database's URL; a temporary SQLite file if left out"
    )
    parser.add_argument("--scale", choices=("small", "large"), default="small")
    parser.add_argument(
        "--seeded",
        action="store_true",
        help="--database was seeded by an earlier run with the same --scale and counts: migrate it and "
        "measure again, without the hour a large seed takes",
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per page")
    parser.add_argument("--quick", action="store_true", help="3 seconds per page, for trying the harness")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--profile", action="store_true", help="write a cProfile summary per page")
    for name in SEED_COUNTS:
        parser.add_argument(
            f"--{name.replace('_', '-')}", dest=name, type=int, help=f"override the scale's {name}"
        )
    args = parser.parse_args()
    if args.seeded and not args.database:
        parser.error("--seeded needs --database: the temporary SQLite file is new each run")
    if args.quick:
        args.duration = 3
    return args


def portal_environment(folder: Path, database: str) -> dict[str, str]:
    """The portal's settings for the run: no mail, no Redis, plain-HTTP cookies, a fixed secret."""
    return {
        **os.environ,
        "PORTAL_INSTANCE_PATH": str(folder / "instance"),
        "PORTAL_DATABASE_URL": database,
        "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_MAIL_URL": "",
        "PORTAL_REDIS_URL": "",
        "PORTAL_SECURE_COOKIES": "0",
    }


def test_app(folder: Path, database: str) -> Flask:
    return create_app(
        {
            "INSTANCE_PATH": str(folder / "instance"),
            "PORTAL_DATABASE_URL": database,
            "PORTAL_SECRET_KEY": SECRET,
        }
    )


def main_pages(folder: Path, database: str) -> list[Page]:
    """The pages of the performance issue, with ids of the benchmark customer's seeded rows."""
    app = test_app(folder, database)
    with app.app_context():
        customer = db.session.scalar(select(User).where(User.email == customer_email(1)))
        assert customer is not None, "the seed made the benchmark customer"
        replied = (
            select(Message.ticket_id)
            .join(Ticket, Ticket.id == Message.ticket_id)
            .where(Ticket.customer_id == customer.id, Ticket.status == BENCHMARK_TICKET_STATUS)
            .group_by(Message.ticket_id)
            .having(func.count() == 4)
            .order_by(Message.ticket_id.desc())
            .limit(1)
        )
        ticket_id = db.session.scalar(replied)
        assert ticket_id is not None, "the benchmark customer has a closed ticket with three replies"
        customer_id = customer.id
    reply = REPLY_BODIES[2]
    return [
        Page("sign-in page", "visitor", "/login", 'name="csrf_token"', CUSTOMER_TARGET, True),
        Page("customer dashboard", "customer", "/dashboard", "Customer 1", CUSTOMER_TARGET, True),
        Page("ticket list", "customer", "/tickets/", f'href="/tickets/{ticket_id}"', CUSTOMER_TARGET, True),
        Page("ticket page (3 replies)", "customer", f"/tickets/{ticket_id}", reply, CUSTOMER_TARGET, True),
        Page("loyalty page", "customer", "/loyalty/", "Your loyalty points", CUSTOMER_TARGET, True),
        Page("documents", "customer", "/documents/", "Invoice 2026-001 (", CUSTOMER_TARGET, True),
        Page("surveys list", "customer", "/surveys/", "Seeded survey", CUSTOMER_TARGET, True),
        Page("help center", "customer", "/help/", "How can we help?", CUSTOMER_TARGET, True),
        Page("staff queue", "agent", "/staff/tickets/", 'href="/staff/tickets/', STAFF_TARGET, False),
        Page("staff ticket page", "agent", f"/staff/tickets/{ticket_id}", reply, STAFF_TARGET, False),
        Page("staff 360° page", "agent", f"/staff/customers/{customer_id}", customer_email(1), None, False),
    ]


def count_queries(
    folder: Path, database: str, pages: list[Page], profile: bool
) -> tuple[dict[str, int], dict[str, ProfileShare]]:
    """Each page's SQL statements on its second request (the first fills per-process caches), checked."""
    app = test_app(folder, database)
    with app.app_context():
        engine = db.engine
    clients = {"visitor": app.test_client(), "customer": app.test_client(), "agent": app.test_client()}
    log_in(clients["customer"], customer_email(1), SEED_PASSWORD)
    log_in(clients["agent"], agent_email(1), SEED_PASSWORD)
    counts, profiles = {}, {}
    for page in pages:
        client = clients[page.role]
        client.get(page.path)
        statements: list[str] = []

        def record(
            _conn: object, _cursor: object, statement: str, *_rest: object, seen: list[str] = statements
        ) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        response = client.get(page.path)
        event.remove(engine, "before_cursor_execute", record)
        body = response.get_data(as_text=True)
        if response.status_code != 200 or page.expected not in body:
            raise SystemExit(f"{page.path} answered {response.status_code} without {page.expected!r}")
        counts[page.name] = len(statements)
        if profile:
            profiles[page.name] = write_profile(page, lambda client=client, path=page.path: client.get(path))
    return counts, profiles


def write_profile(page: Page, request: object) -> ProfileShare:
    """The 30 costliest functions (cumulative) over 20 requests, to results/profiles/<page>.txt.

    Returns the time per request under the profiler and the shares in Jinja's ``render`` and in
    SQLAlchemy's statement execution (they overlap where a template runs a query).
    """
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILED_REQUESTS):
        request()  # type: ignore[operator]
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    table = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]

    def spent(file_end: str, function: str) -> float:
        return sum(
            row[3]
            for (file, _line, name), row in table.items()
            if file.endswith(file_end) and name == function
        )

    share = ProfileShare(
        total / PROFILED_REQUESTS * 1000,
        spent("jinja2/environment.py", "render") / total,
        spent("sqlalchemy/engine/base.py", "_execute_context") / total,
    )
    folder = RESULTS / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "-", page.name.lower()).strip("-")
    (folder / f"{name}.txt").write_text(f"{page.path}, {PROFILED_REQUESTS} requests\n{out.getvalue()}")
    return share


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def gunicorn(app: list[str], env: dict[str, str], folder: Path, workers: int) -> Iterator[str]:
    """A gunicorn with ``workers`` sync workers serving ``app``; yields its base URL, stops it after."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            *app,
        ],
        cwd=folder,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn for {app} did not start")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


def sign_in(base: str, email: str) -> str:
    """Sign in through the real form over HTTP (CSRF token from the page) and return the Cookie header.

    Then it follows the sign-in's redirect as a browser does: that first page puts the session's CSRF
    token into the cookie. wrk sends one cookie and ignores Set-Cookie, so with the sign-in's own cookie
    every measured request would make a new token and sign a new cookie, which a browser does once.
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    opener.addheaders = [("User-Agent", USER_AGENT)]
    form = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token is not None, "the sign-in form has a CSRF token"
    data = urllib.parse.urlencode({"csrf_token": token.group(1), "email": email, "password": SEED_PASSWORD})
    try:
        opener.open(f"{base}/login", data=data.encode())
    except urllib.error.HTTPError as answer:
        landing = answer.headers.get("Location") or "/"
    else:
        raise SystemExit(f"{email}: the sign-in form answered without a redirect")
    opener.open(urllib.parse.urljoin(base, landing)).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "session=" in cookie, f"{email} signed in"
    return cookie


def check_over_http(base: str, page: Page, cookie: str) -> None:
    """The page answers 200 to gunicorn with this cookie, so wrk measures the page and not a redirect,
    and a signed-in page sets no new cookie, so wrk's one cookie is what a browser would be sending."""
    opener = urllib.request.build_opener(NoRedirect)
    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    request = urllib.request.Request(base + page.path, headers=headers)  # noqa: S310
    try:
        with opener.open(request) as response:
            status, sets_cookie = response.status, response.headers.get("Set-Cookie")
    except urllib.error.HTTPError as error:
        status, sets_cookie = error.code, None
    if status != 200:
        raise SystemExit(f"{page.path} answered {status} through gunicorn")
    if cookie and sets_cookie:
        raise SystemExit(f"{page.path} sets a new cookie on every request with the signed-in cookie")


def wrk(url: str, cookie: str, args: argparse.Namespace) -> Measure:
    """Requests per second and latency percentiles of ``url`` under wrk, with ``cookie`` sent."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
        f"--timeout={WRK_TIMEOUT_SECONDS}s",
        "-s",
        script.name,
        "-H",
        f"User-Agent: {USER_AGENT}",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    warm_up = [*command[:3], f"-d{WARM_UP_SECONDS}s", *command[4:], url]  # every worker renders it once first
    subprocess.run(warm_up, capture_output=True, check=True)  # noqa: S603
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    Path(script.name).unlink()
    return parse_wrk(output)


def parse_wrk(output: str) -> Measure:
    """The figures of the ``done`` script's BENCH line: requests, microseconds, p50, p99, errors."""
    found = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    if found is None:
        raise SystemExit(f"wrk printed no figures:\n{output}")
    requests, duration, p50, p99, errors, status = (int(value) for value in found.groups())
    return Measure(requests / (duration / 1e6), p50 / 1000, p99 / 1000, errors + status)


def verdict(row: Row, bare: float) -> str:
    """PASS or MISS against the row's targets (share of the bare page, p99), or "-" when it has none."""
    checks = []
    if row.page.target is not None:
        checks.append(row.measure.requests_per_second >= row.page.target * bare)
    if row.page.customer_page:
        checks.append(row.measure.p99_ms <= P99_TARGET_MS)
    if row.measure.errors:
        checks.append(False)
    if not checks:
        return "-"
    return "PASS" if all(checks) else "MISS"


def format_report(
    rows: list[Row],
    bare_runs: list[Measure],
    load: tuple[float, float],
    args: argparse.Namespace,
    backend: str,
    scale: str,
    overrides: str,
) -> str:
    """The Markdown results page: how it was run, then the table."""
    bare = sum(run.requests_per_second for run in bare_runs) / len(bare_runs)
    given = [f"--scale {args.scale}"]
    given += [f"--database <{backend} URL>"] if args.database else []
    given += ["--seeded"] if args.seeded else []
    given += [overrides] if overrides else []
    given += [f"--duration {args.duration}"] if args.duration != 15 else []
    command = f'make bench BENCH_ARGS="{" ".join(given)}"'
    lines = [
        f"# Benchmark: {backend}, {scale} scale, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command}`  ",
        f"gunicorn {args.workers} sync workers; "
        f"`wrk -t{args.threads} -c{args.connections} -d{args.duration}s`; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}.  ",
        f"Load average {load[0]:.1f} at the start, {load[1]:.1f} at the end.  ",
        f"Bare Flask page: {', '.join(f'{run.requests_per_second:.0f}' for run in bare_runs)} req/s "
        f"(between the portal's pages); the ratio uses their mean, {bare:.0f}.",
        "",
        "| page | req/s | p50 ms | p99 ms | queries | ratio to bare | target | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        target = [f"≥ {row.page.target:.0%}"] if row.page.target is not None else []
        target += [f"p99 ≤ {P99_TARGET_MS:.0f} ms"] if row.page.customer_page else []
        errors = f" ({row.measure.errors} errors)" if row.measure.errors else ""
        lines.append(
            f"| {row.page.name} | {row.measure.requests_per_second:.0f} | {row.measure.p50_ms:.1f} | "
            f"{row.measure.p99_ms:.1f} | {row.queries} | {row.measure.requests_per_second / bare:.0%} | "
            f"{', '.join(target) or '-'} | {verdict(row, bare)}{errors} |"
        )
    return "\n".join(lines) + "\n"


def format_profiles(profiles: dict[str, ProfileShare]) -> str:
    """The profile summary under the table (``--profile``), or nothing."""
    if not profiles:
        return ""
    lines = [
        "",
        f"Profiles (cProfile, {PROFILED_REQUESTS} requests a page through the test client; "
        "details in benchmarks/results/profiles/):",
        "",
        "| page | ms a request (profiled) | in Jinja rendering | in SQL execution |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, share in profiles.items():
        lines.append(f"| {name} | {share.ms_per_request:.1f} | {share.render:.0%} | {share.sql:.0%} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
