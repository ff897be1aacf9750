"""The rate limiter's in-process storage (no Redis configured) under requests on many threads at once."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from portal.rate_limit_memory import SCHEME, ThreadSafeMemoryStorage
from portal.testing.races import race

THREADS = 8


@pytest.fixture
def thread_errors() -> Iterator[list[BaseException]]:
    """What a timer thread raised in its bootstrap, which no caller of the storage sees."""
    seen: list[BaseException] = []
    hooks = threading.excepthook, sys.unraisablehook, sys.getswitchinterval()
    threading.excepthook = lambda args: seen.append(args.exc_value)
    sys.unraisablehook = lambda unraisable: seen.append(unraisable.exc_value)
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to meet the race at once
    try:
        yield seen
    finally:
        threading.excepthook, sys.unraisablehook = hooks[0], hooks[1]
        sys.setswitchinterval(hooks[2])


def test_the_app_counts_in_the_thread_safe_storage_without_redis(app: Flask) -> None:
    assert app.config["RATELIMIT_STORAGE_URI"] == f"{SCHEME}://", "the app fixture configures no Redis"
    assert isinstance(app.extensions["portal_limiter"].storage, ThreadSafeMemoryStorage)


def test_requests_on_many_threads_at_once_never_start_the_expiry_timer_twice(
    thread_errors: list[BaseException],
) -> None:
    """limits' own MemoryStorage raised "threads can only be started once" here in the first round."""
    limit = RateLimitItemPerMinute(1000)
    for _round in range(5):
        limiter = FixedWindowRateLimiter(storage_from_string(f"{SCHEME}://"))

        def hit(number: int, limiter: FixedWindowRateLimiter = limiter) -> None:
            for key in range(15):
                limiter.hit(limit, f"client-{number}", str(key))
                time.sleep(0.011)  # let the 10 ms timer stop, so the next hit restarts it

        raised = [outcome for outcome in race(THREADS, hit) if isinstance(outcome, BaseException)]
        assert raised == []
        assert thread_errors == []
        counted = [limiter.get_window_stats(limit, f"client-{n}", "0").remaining for n in range(THREADS)]
        assert counted == [999] * THREADS, "each client's one hit on a key is counted once"
