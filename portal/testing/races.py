"""Run one action from many threads at the same instant, each on its own database connection.

A transition that pays, notifies or counts must have exactly one effect however many requests race
for it. These helpers let a test (the portal's or a plugin author's) start N attempts behind one
barrier and look at what each got back, the way N browser tabs or N gunicorn workers would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask.testing import FlaskClient

Result = TypeVar("Result")

RACE_TIMEOUT_SECONDS = 120


def race(count: int, attempt: Callable[[int], Result]) -> list[Result | BaseException]:
    """Call ``attempt(0)`` … ``attempt(count - 1)`` in ``count`` threads released together.

    Returns what each call returned, or the exception it raised, in thread order, so a test can
    count successes and refusals. A thread still running after two minutes fails the test: a
    deadlock is a bug, not a slow test.
    """
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def run(number: int) -> None:
        barrier.wait()
        try:
            outcomes[number] = attempt(number)
        except BaseException as error:
            outcomes[number] = error

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_TIMEOUT_SECONDS)
        if thread.is_alive():
            raise AssertionError(f"a raced attempt was still running after {RACE_TIMEOUT_SECONDS} s")
    return outcomes


def race_in_app(app: Flask, count: int, attempt: Callable[[int], Result]) -> list[Result | BaseException]:
    """``race``, each attempt inside its own app context, so each has its own session and connection."""

    def in_context(number: int) -> Result:
        with app.app_context():
            return attempt(number)

    return race(count, in_context)


def same_browser(client: FlaskClient, count: int) -> list[FlaskClient]:
    """``count`` test clients carrying ``client``'s cookies: one person clicking in many tabs at once."""
    clients = []
    for _ in range(count):
        twin = client.application.test_client()
        for cookie in (client._cookies or {}).values():  # werkzeug offers no public way to copy them
            twin.set_cookie(
                cookie.decoded_key,
                cookie.decoded_value,
                domain=cookie.domain,
                origin_only=cookie.origin_only,
                path=cookie.path,
            )
        clients.append(twin)
    return clients
