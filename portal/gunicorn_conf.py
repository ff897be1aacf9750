"""gunicorn hooks for metrics that add up all workers: ``gunicorn -c python:portal.gunicorn_conf …``.

With ``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its metrics to files in that folder and
``/metrics`` adds up the files of every worker, living or gone. Files left by an earlier run would add
its counts to this one's, so the folder is made empty when gunicorn starts. When a worker exits, its
live gauges (``multiprocess_mode="livesum"`` and the like) are dropped, so a gauge such as "requests
in progress" does not keep a dead worker's value. Without the variable both hooks do nothing.

Only hooks live here: workers, address and timeouts stay on the command line, or in a deployment's
own config file, which can take these with ``from portal.gunicorn_conf import child_exit, on_starting``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

from portal.metrics_web import MULTIPROCESS_VARIABLE


def on_starting(server: Any) -> None:
    """Start the count afresh: create the metrics folder, or empty it of an earlier run's files."""
    folder = os.environ.get(MULTIPROCESS_VARIABLE)
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """Drop the live gauges of a worker that exited; its counters and histograms still count."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        multiprocess.mark_process_dead(worker.pid)
