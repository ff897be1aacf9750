"""Two checkouts of the portal served side by side on one seeded database, each page measured in turn.

Run it from the project root after `make bench` has seeded a database (a PostgreSQL one is kept;
give a SQLite file that `portal seed` filled):

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/compare.py /tmp/before --database postgresql://…/bench_small

On a shared machine two `make bench` runs minutes apart differ by a third on pages whose code did not
change, so a before-and-after table from separate runs says little about a change worth 10 %. Here
both gunicorns (2 sync workers each) run at once and every page is measured on one, then on the
other, alternating which goes first in each round, so both see the same machine; each measurement
is warmed first, as in the harness (a worker's first requests compile templates). The database is
migrated by this checkout first; the other checkout must run on it (an older one ignores tables it
does not know). Prints req/s of each round, the change in the mean and the worst p99 of each side.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from harness import (
    BIN,
    ROOT,
    Page,
    agent_email,
    customer_email,
    gunicorn,
    main_pages,
    portal_environment,
    sign_in,
    wrk,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the other checkout (a git worktree of the older commit)")
    parser.add_argument("--database", required=True, help="a database `portal seed` filled")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=6, help="seconds of wrk per page and side")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="portal-compare-"))
    env = portal_environment(folder, args.database)
    subprocess.run([str(BIN / "portal"), "migrate"], env=env, check=True, capture_output=True)  # noqa: S603
    pages = main_pages(folder, args.database)
    with ExitStack() as servers:
        sides = {
            "before": servers.enter_context(gunicorn(["portal.wsgi:app"], env, args.before, 2)),
            "after": servers.enter_context(gunicorn(["portal.wsgi:app"], env, ROOT, 2)),
        }
        cookies = {
            "visitor": "",
            "customer": sign_in(sides["after"], customer_email(1)),
            "agent": sign_in(sides["after"], agent_email(1)),
        }
        print(report(pages, measure(pages, sides, cookies, args)))
    return 0


def measure(
    pages: list[Page], sides: dict[str, str], cookies: dict[str, str], args: argparse.Namespace
) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(req/s, p99 ms) of each page on each side, one pair per round, through the harness's wrk run
    (which first warms every worker on the page)."""
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for number in range(args.rounds):
        order = ["before", "after"] if number % 2 == 0 else ["after", "before"]
        for page in pages:
            for side in order:
                url = sides[side] + page.path
                seen = wrk(url, cookies[page.role], args)
                if seen.errors:
                    raise SystemExit(f"{url}: {seen.errors} requests failed or answered other than 2xx")
                results.setdefault((page.name, side), []).append((seen.requests_per_second, seen.p99_ms))
    return results


def report(pages: list[Page], results: dict[tuple[str, str], list[tuple[float, float]]]) -> str:
    lines = [
        "| page | before req/s | after req/s | change | before p99 ms | after p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in pages:
        before, after = results[(page.name, "before")], results[(page.name, "after")]
        change = statistics.mean(rate for rate, _ in after) / statistics.mean(rate for rate, _ in before) - 1
        lines.append(
            f"| {page.name} | {' / '.join(f'{rate:.0f}' for rate, _ in before)} "
            f"| {' / '.join(f'{rate:.0f}' for rate, _ in after)} | {change:+.0%} "
            f"| {max(p99 for _, p99 in before):.0f} | {max(p99 for _, p99 in after):.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
