"""Download throughput of a document against a plain file copy, and the peak memory of a big download.

Run it from the project root:  .venv/bin/python benchmarks/documents_download.py [--size-mb 100]

A throwaway portal (SQLite and the local file storage in a temporary folder, the documents plugin on)
gets one document of ``--size-mb`` published to one customer. The customer then downloads it through
the real view (/documents/<id>/download: access check, download log, event, streamed response) with
the test client reading the body chunk by chunk, as a WSGI server would, into a file, as a browser
saves it. The floor is the same file copied to a new one with ``shutil.copyfileobj``: both read the
file and write it once. Each is timed five times, in turn, and the medians are compared.

Peak memory is measured on one more download: Python's own allocation peak (tracemalloc, which slows
every allocation, so it is kept out of the timed runs) and the growth of the process's resident peak
(VmHWM, reset before through /proc/self/clear_refs where the kernel allows it). It measures, it does
not time-test: throughput depends on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, no install

MB = 1024 * 1024
RUNS = 5


class PatternStream:
    """``size`` bytes of a repeated 1 MiB random block, made as they are read."""

    def __init__(self, size: int) -> None:
        self._block = os.urandom(MB)
        self._block = b"%PDF-1.7\n" + self._block[9:]
        self._size = size
        self._position = 0

    def read(self, limit: int = -1) -> bytes:
        left = self._size - self._position
        wanted = left if limit < 0 else min(limit, left)
        offset = self._position % MB
        chunk = self._block[offset : offset + min(wanted, MB - offset)]
        self._position += len(chunk)
        return chunk

    def seek(self, position: int) -> None:
        self._position = position


def resident_peak_kb() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_resident_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    size = parser.parse_args().size_mb * MB

    from plugins.documents.models import Document, Version
    from portal import create_app
    from portal.accounts.models import User
    from portal.database import db, utcnow
    from portal.passwords import hash_password
    from portal.plugin import storage

    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        app = create_app(
            {
                "TESTING": True,
                "PORTAL_DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                "PORTAL_PLUGINS": ["documents"],
                "PORTAL_ARGON2_PROFILE": "CHEAPEST",
                "PORTAL_MAIL_URL": "",
                "PORTAL_REDIS_URL": "",
                "PORTAL_SECRET_KEY": "benchmark-" + "x" * 40,
                "WTF_CSRF_ENABLED": False,
                "INSTANCE_PATH": str(instance),
            }
        )
        with app.app_context():
            import flask_migrate

            flask_migrate.upgrade(revision="heads")
            user = User(
                email="bench@example.com", name="Bench", role="customer", password_hash=hash_password("pw")
            )
            user.email_verified_at = utcnow()
            db.session.add(user)
            stored = storage().save(PatternStream(size), prefix="documents", filename_hint="big.pdf")
            db.session.flush()
            document = Document(
                title="Big",
                category="manual",
                audience_customer_id=user.id,
                published=True,
                published_at=utcnow(),
            )
            db.session.add(document)
            db.session.flush()
            db.session.add(
                Version(
                    document_id=document.id,
                    number=1,
                    storage_key=stored.key,
                    filename="big.pdf",
                    mimetype="application/pdf",
                    size=stored.size,
                    sha256=stored.sha256,
                )
            )
            db.session.commit()
            document_id, key = document.id, stored.key
            source_name = Path(app.instance_path) / "files" / key

        client = app.test_client()
        client.post("/login", data={"email": "bench@example.com", "password": "pw"})
        assert client.get("/documents/").status_code == 200, "signed in"

        def copy() -> None:
            with open(source_name, "rb") as src, open(Path(folder) / "copy.bin", "wb") as dst:
                shutil.copyfileobj(src, dst, 64 * 1024)

        def download() -> tuple[int, int]:
            """Into a file, as a browser saves it, so it does what the copy does: read and write."""
            response = client.get(f"/documents/{document_id}/download", buffered=False)
            received = 0
            with open(Path(folder) / "downloaded.bin", "wb") as saved:
                for chunk in response.response:
                    received += saved.write(chunk)
            response.close()
            return response.status_code, received

        # Speed first, without tracemalloc, whose bookkeeping on every allocation would slow the download
        # and not the copy; each side in turn, RUNS times, the median of each.
        copy_times, download_times = [], []
        for _ in range(RUNS):
            copy_times.append(timed(copy))
            download_times.append(timed(download))
        copy_seconds, download_seconds = statistics.median(copy_times), statistics.median(download_times)

        reset_resident_peak()
        before_kb = resident_peak_kb()
        tracemalloc.start()
        status, received = download()
        _current, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        resident_growth_mb = (resident_peak_kb() - before_kb) / 1024

    if status != 200 or received != size:
        print(f"download failed: status {status}, {received} of {size} bytes")
        return 1
    print(f"file size:              {size / MB:.0f} MB")
    print(f"plain file copy:        {size / MB / copy_seconds:8.1f} MB/s (median of {RUNS})")
    print(f"portal download:        {size / MB / download_seconds:8.1f} MB/s (median of {RUNS})")
    print(f"download ÷ copy:        {copy_seconds / download_seconds:8.0%}")
    print(f"python allocation peak: {python_peak / MB:8.2f} MB (tracemalloc, during the download)")
    print(f"resident peak growth:   {resident_growth_mb:8.2f} MB (VmHWM)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
