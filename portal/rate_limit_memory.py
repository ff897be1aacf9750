"""The rate limiter's in-process storage when no Redis is configured, safe under threads.

limits' ``MemoryStorage`` (5.8) restarts its expiry timer without a lock: two requests on two
threads at the same moment can both find the timer stopped and start the same one twice, which
raises in one of them ("threads can only be started once") or in the timer's own thread. A threaded
development server, or the tests that send requests at once, meet it. Upstream has a fix
(alisaifee/limits#352) that no release carries yet; this class takes the same lock until one does.
"""

from __future__ import annotations

import threading
from typing import Any

from limits.storage import MemoryStorage

SCHEME = "portal-memory"


class ThreadSafeMemoryStorage(MemoryStorage):
    """``MemoryStorage`` whose timer is checked and restarted by one thread at a time."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012  (limits registers the schemes of this list)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        self._timer_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._timer_lock = threading.Lock()
        super().__setstate__(state)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        del state["_timer_lock"]
        return state

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802  (the name limits calls)
        with self._timer_lock:
            if not self.timer.is_alive():
                self.timer = threading.Timer(0.01, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
                self.timer.start()
