"""How much memory a 100 MB upload and download take, on the local folder and on S3-compatible storage.

Run it from the project root:  .venv/bin/python benchmarks/storage_memory.py [--size-mb 100]

Each phase runs twice. The first run is timed and measured by the kernel: peak resident memory
(VmHWM in /proc/self/status, reset before the phase through /proc/self/clear_refs) and
getrusage's ru_maxrss, each as growth over its own value right after the reset. The second run is traced
by tracemalloc, which counts Python's own allocations but slows the code, so it is not timed.

The S3 backend talks to moto's server mode, started here in a separate process on 127.0.0.1 so its
memory is not counted: moto stands in for real object storage (AWS S3, MinIO…).

The budget is 10 MB of growth per phase; the script exits with status 1 when a phase goes over it.
It measures, it does not time-test: throughput depends on the machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, no install

from portal import create_app
from portal.plugin import public, storage

MB = 1024 * 1024
BUDGET_MB = 10.0
BUCKET = "benchmark"


class PatternStream:
    """``size`` bytes of a repeated random 1 MiB block, made as they are read: the source holds 1 MiB."""

    def __init__(self, size: int) -> None:
        self._block = os.urandom(MB)
        self._size = size
        self._position = 0

    def read(self, limit: int = -1) -> bytes:
        """The next bytes, at most ``limit`` and never past the end of the current block."""
        left = self._size - self._position
        wanted = left if limit < 0 else min(limit, left)
        offset = self._position % MB
        chunk = self._block[offset : offset + min(wanted, MB - offset)]
        self._position += len(chunk)
        return chunk


@dataclass
class Result:
    """One phase's figures, in MB and seconds."""

    backend: str
    phase: str
    seconds: float
    rss_growth: float
    maxrss_growth: float
    traced_peak: float

    @property
    def worst(self) -> float:
        """The largest of the three memory figures, compared with the budget."""
        return max(self.rss_growth, self.maxrss_growth, self.traced_peak)


def status_kb(field: str) -> int:
    """A memory figure from /proc/self/status, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak_rss() -> None:
    """Make VmHWM and ru_maxrss start again from the current resident size (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure_kernel(action: Callable[[], None]) -> tuple[float, float, float]:
    """Seconds, VmHWM growth and ru_maxrss growth (MB) of one run of ``action``."""
    gc.collect()
    reset_peak_rss()
    peak_before = status_kb("VmHWM")
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return seconds, (status_kb("VmHWM") - peak_before) / 1024, (maxrss_after - maxrss_before) / 1024


def measure_traced(action: Callable[[], None]) -> float:
    """Peak of Python allocations (MB) during one run of ``action``, above what was held before."""
    gc.collect()
    tracemalloc.start()
    before, _peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    action()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (peak - before) / MB


def build_app(instance: Path, storage_url: str) -> Flask:
    """The portal app with one download view, as a plugin would write it."""
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "PORTAL_DATABASE_URL": f"sqlite:///{instance / 'portal.sqlite3'}",
            "PORTAL_SECRET_KEY": "benchmark-" + "x" * 40,
            "PORTAL_STORAGE_URL": storage_url,
            "PORTAL_PLUGINS": [],
        }
    )

    @app.get("/bench/<path:key>")
    @public
    def download(key: str):
        return storage().download_response(
            key, download_name="large.bin", mimetype="application/octet-stream"
        )

    return app


def run_backend(name: str, app: Flask, size: int) -> list[Result]:
    """Upload and download ``size`` bytes twice each (timed, then traced) and report the figures."""
    client = app.test_client()
    keys: list[str] = []

    def upload() -> None:
        with app.app_context():
            keys.append(storage().save(PatternStream(size), prefix="bench", filename_hint="large.bin").key)

    def download() -> None:
        response = client.get(f"/bench/{keys[-1]}", buffered=False)
        received = sum(len(chunk) for chunk in response.response)
        response.close()
        assert received == size, f"downloaded {received} of {size} bytes"

    with app.app_context():  # warm up: imports, botocore's service model, connection pools
        warm = storage().save(PatternStream(MB), prefix="bench").key
    client.get(f"/bench/{warm}").close()

    results = []
    for phase, action in (("upload", upload), ("download", download)):
        seconds, rss, maxrss = measure_kernel(action)
        traced = measure_traced(action)
        results.append(Result(name, phase, seconds, rss, maxrss, traced))
    with app.app_context():
        for key in [warm, *keys]:
            storage().delete(key)
    return results


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3-compatible server in its own process on 127.0.0.1; yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  (our own interpreter and module, fixed arguments)
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def report(results: list[Result], size: int) -> bool:
    """Print the table; True when every phase stayed within the budget."""
    print(f"\n{size / MB:.0f} MB file, budget {BUDGET_MB:.0f} MB of memory growth per phase\n")
    header = f"{'backend':8} {'phase':9} {'seconds':>8} {'MB/s':>8} {'VmHWM +MB':>10} "
    print(header + f"{'ru_maxrss +MB':>14} {'tracemalloc MB':>15}  verdict")
    within = True
    for item in results:
        ok = item.worst < BUDGET_MB
        within &= ok
        print(
            f"{item.backend:8} {item.phase:9} {item.seconds:8.2f} {size / MB / item.seconds:8.1f} "
            f"{item.rss_growth:10.2f} {item.maxrss_growth:14.2f} {item.traced_peak:15.2f}  "
            f"{'ok' if ok else 'OVER BUDGET'}"
        )
    return within


def main() -> int:
    """Measure both backends and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    size = parser.parse_args().size_mb * MB
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        results += run_backend("local", build_app(Path(folder) / "local", ""), size)
        with moto_server() as endpoint:
            boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="bench",
                aws_secret_access_key="bench",  # noqa: S106  (moto accepts any credentials)
            ).create_bucket(Bucket=BUCKET)
            url = f"s3://bench:bench@{BUCKET}/files?endpoint_url={endpoint}&region=us-east-1"
            results += run_backend("s3", build_app(Path(folder) / "s3", url), size)
    return 0 if report(results, size) else 1


if __name__ == "__main__":
    sys.exit(main())
